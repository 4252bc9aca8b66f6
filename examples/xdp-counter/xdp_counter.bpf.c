// Counts the packets and bytes an interface receives, per IP protocol
// (ICMP, ICMPv6, TCP, UDP, other), and lets every packet pass.
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_counter.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_ICMPV6 58 // a #define in the UAPI headers, so not in vmlinux.h

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, XDP_COUNTER_SLOTS);
  __type(key, __u32);
  __type(value, struct packet_count);
} rx_counts SEC(".maps");

static __always_inline __u32 slot_of(void *data, void *data_end) {
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end)
    return XDP_COUNTER_OTHER;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
      return XDP_COUNTER_OTHER;
    switch (ip->protocol) {
    case IPPROTO_ICMP: return XDP_COUNTER_ICMP;
    case IPPROTO_TCP: return XDP_COUNTER_TCP;
    case IPPROTO_UDP: return XDP_COUNTER_UDP;
    }
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > data_end)
      return XDP_COUNTER_OTHER;
    switch (ip6->nexthdr) {
    case IPPROTO_ICMPV6: return XDP_COUNTER_ICMPV6;
    case IPPROTO_TCP: return XDP_COUNTER_TCP;
    case IPPROTO_UDP: return XDP_COUNTER_UDP;
    }
  }
  return XDP_COUNTER_OTHER;
}

SEC("xdp")
int count_packets(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 slot = slot_of(data, data_end);
  struct packet_count *count = bpf_map_lookup_elem(&rx_counts, &slot);
  if (count) {
    count->packets++;
    count->bytes += data_end - data;
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

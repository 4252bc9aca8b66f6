// Katran/Cilium-like XDP: per-VIP backend tables selected through
// ARRAY_OF_MAPS and HASH_OF_MAPS (inner map templates, initial slots), counters
// in .bss, a config struct in .data and tunables in custom .data.* sections.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800

struct backends {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u64);
};
struct backends backends_a SEC(".maps"), backends_b SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, u32);
  __array(values, struct backends);
} vip_table SEC(".maps") = { .values = { [0] = &backends_a, [1] = &backends_b } };

struct {
  __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
  __uint(max_entries, 8);
  __type(key, u32);                 // IP protocol
  __array(values, struct backends);
} proto_table SEC(".maps") = { .values = { [17] = &backends_b } };  // UDP

u64 rx_packets = 0, rx_ipv4 = 0;                       // .bss
struct { u32 version; u32 flags; } lb_config = { 3, 1 }; // .data
u32 sample_rate SEC(".data.tunables") = 1;
u32 max_backends SEC(".data.tunables") = 4;
u64 drop_count SEC(".data.stats") = 0;

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
  void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  struct iphdr *iph = data + sizeof(*eth);

  __sync_fetch_and_add(&rx_packets, 1);
  if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
    return XDP_PASS;
  __sync_fetch_and_add(&rx_ipv4, 1);
  u32 vip = lb_config.flags & 1, proto = iph->protocol, slot = 0;
  void *inner = bpf_map_lookup_elem(&vip_table, &vip);
  if (inner) {
    u64 *v = bpf_map_lookup_elem(inner, &slot);
    if (v)
      __sync_fetch_and_add(v, sample_rate);
  }
  inner = bpf_map_lookup_elem(&proto_table, &proto);
  if (inner) {
    slot = max_backends - 1;
    u64 *v = bpf_map_lookup_elem(inner, &slot);
    if (v)
      __sync_fetch_and_add(v, 1);
  }
  if (iph->ttl == 0) {
    __sync_fetch_and_add(&drop_count, 1);
    return XDP_DROP;
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

// sockfilter-style: a socket filter reporting IPv4 flows over a ring buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_HLEN 14
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

struct so_event {
  __be32 src_addr;
  __be32 dst_addr;
  __u32 ip_proto;
  __u32 pkt_type;
  __u32 ifindex;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} rb SEC(".maps");

static __always_inline int ip_is_fragment(struct __sk_buff *skb, __u32 nhoff)
{
  __u16 frag_off;

  bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, frag_off), &frag_off, 2);
  frag_off = bpf_ntohs(frag_off);
  return frag_off & (IP_MF | IP_OFFSET);
}

SEC("socket")
int socket_handler(struct __sk_buff *skb)
{
  struct so_event *e;
  __u16 proto;

  bpf_skb_load_bytes(skb, 12, &proto, 2);
  if (bpf_ntohs(proto) != ETH_P_IP)
    return 0;
  if (ip_is_fragment(skb, ETH_HLEN))
    return 0;
  e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e)
    return 0;
  bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, protocol), &e->ip_proto, 1);
  bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, saddr), &e->src_addr, 4);
  bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &e->dst_addr, 4);
  e->pkt_type = skb->pkt_type;
  e->ifindex = skb->ifindex;
  bpf_ringbuf_submit(e, 0);
  return skb->len;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

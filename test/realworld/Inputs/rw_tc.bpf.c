// tc ingress classifier counting IPv4 packets by protocol (libbpf-bootstrap tc).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define TC_ACT_OK 0

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 256);
  __type(key, u32);
  __type(value, u64);
} proto_pkts SEC(".maps");

SEC("tc")
int tc_ingress(struct __sk_buff *ctx)
{
  void *data_end = (void *)(long)ctx->data_end;
  void *data = (void *)(long)ctx->data;
  struct ethhdr *eth = data;
  struct iphdr *iph = data + sizeof(*eth);

  if (ctx->protocol != bpf_htons(ETH_P_IP))
    return TC_ACT_OK;
  if ((void *)(iph + 1) > data_end)
    return TC_ACT_OK;
  u32 proto = iph->protocol;
  u64 *v = bpf_map_lookup_elem(&proto_pkts, &proto);
  if (v)
    *v += 1;
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";

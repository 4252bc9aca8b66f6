// Newer libbpf section names that libbpf 1.1 (Debian bookworm) does not know:
// tcx/ingress (libbpf 1.3, kernel 6.6) as current Cilium-style programs use,
// and netfilter (libbpf 1.2). Select one with -DRW_SEC=...
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

u64 pkts = 0;

SEC(RW_SEC)
int ingress(struct __sk_buff *skb)
{
  __sync_fetch_and_add(&pkts, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

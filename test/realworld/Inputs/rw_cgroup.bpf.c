// cgroup egress accounting plus a connect4 hook that records the destination
// port: the per-cgroup firewall/observability shape.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

u64 egress_bytes = 0, egress_pkts = 0;
u32 last_dport = 0;
u64 connects = 0;

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
  __sync_fetch_and_add(&egress_pkts, 1);
  __sync_fetch_and_add(&egress_bytes, skb->len);
  return 1;
}

SEC("cgroup/connect4")
int on_connect4(struct bpf_sock_addr *ctx)
{
  __sync_fetch_and_add(&connects, 1);
  last_dport = bpf_ntohs(ctx->user_port);
  return 1;
}

// sockops (Cilium's socket-level load balancing starts here): count the
// active TCP establishments in the cgroup.
u64 active_established = 0;

SEC("sockops")
int on_sockops(struct bpf_sock_ops *skops)
{
  if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
    __sync_fetch_and_add(&active_established, 1);
  else if (skops->op == BPF_SOCK_OPS_TCP_CONNECT_CB)
    bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";

// One program per attach kind libbpfseal handles on this kernel, for the
// attach tests. Targets: xdp and tc take an interface, uprobe BINARY:FUNCTION,
// cgroup_skb a cgroup directory. (No fentry or lsm: this kernel refuses
// trampoline programs at load with EPERM, plain libbpf included.)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} kind_hits SEC(".maps");

static __always_inline void hit(__u32 slot) {
  __u64 *v = bpf_map_lookup_elem(&kind_hits, &slot);
  if (v)
    __sync_fetch_and_add(v, 1);
}

SEC("raw_tp/sys_enter")
int k_raw_tp(void *ctx) { hit(0); return 0; }

SEC("tp_btf/sched_switch")
int BPF_PROG(k_tp_btf, bool preempt, struct task_struct *prev, struct task_struct *next) { hit(1); return 0; }

SEC("uprobe")
int BPF_KPROBE(k_uprobe) { hit(4); return 0; }

SEC("xdp")
int k_xdp(struct xdp_md *ctx) { hit(5); return XDP_PASS; }

SEC("tc")
int k_tc(struct __sk_buff *skb) { hit(6); return 0; }

SEC("socket")
int k_socket(struct __sk_buff *skb) { return 0; }

SEC("iter/task")
int k_iter(struct bpf_iter__task *ctx) { return 0; }

SEC("cgroup_skb/egress")
int k_cgroup(struct __sk_buff *skb) { hit(7); return 1; }

char LICENSE[] SEC("license") = "GPL";

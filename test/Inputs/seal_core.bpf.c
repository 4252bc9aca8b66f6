// A CO-RE object (vmlinux.h, BPF_CORE_READ, tp_btf): sealing it must need
// neither bpf() nor the sealing machine's /sys/kernel/btf.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, u32);
  __type(value, u64);
} switches SEC(".maps");

const volatile u32 core_pid = 0;

SEC("tp_btf/sched_switch")
int BPF_PROG(core_switch, bool preempt, struct task_struct *prev, struct task_struct *next) {
  u32 pid = BPF_CORE_READ(next, pid);
  u64 one = 1, *v;
  if (core_pid && pid != core_pid)
    return 0;
  v = bpf_map_lookup_elem(&switches, &pid);
  if (v)
    __sync_fetch_and_add(v, 1);
  else
    bpf_map_update_elem(&switches, &pid, &one, BPF_ANY);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

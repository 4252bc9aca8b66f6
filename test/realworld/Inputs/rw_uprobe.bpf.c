// uprobe-style: entry and return probes on a user function. One program names
// its binary in the section (auto-attach), the other takes --target.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, u32);
  __type(value, u64);
} calls SEC(".maps");

u64 last_sum = 0;

static __always_inline void bump(u32 slot)
{
  u64 *v = bpf_map_lookup_elem(&calls, &slot);
  if (v)
    __sync_fetch_and_add(v, 1);
}

SEC("uprobe")
int BPF_KPROBE(uprobe_add, int a, int b)
{
  bump(0);
  return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_add, int ret)
{
  bump(1);
  last_sum = ret;
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// Library unit for rw_link_a: the shared map, a .bss counter and a global
// function (BPF-to-BPF call across units after linking).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u64);
} shared_counts SEC(".maps");

u64 total_events = 0;
static const char tag[] = "rw_link_b";

__noinline int record_event(u32 kind, u64 delta)
{
  u64 *v = bpf_map_lookup_elem(&shared_counts, &kind);
  if (!v)
    return 0;
  __sync_fetch_and_add(v, delta);
  __sync_fetch_and_add(&total_events, delta);
  if (delta > 1000)
    bpf_printk("%s: big delta", tag);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

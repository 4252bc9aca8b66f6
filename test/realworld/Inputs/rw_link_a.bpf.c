// Two-file object (bpfseal link): this unit owns the programs and uses a map
// and a global function defined in rw_link_b.bpf.c.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u64);
} shared_counts SEC(".maps");

extern int record_event(u32 kind, u64 delta);   // defined in rw_link_b
extern u64 total_events;                         // rw_link_b's .bss

const volatile int target_tgid = 0;

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
    return 0;
  return record_event(0, 1);
}

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(void *ctx)
{
  u32 k = 1;
  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
    return 0;
  u64 *v = bpf_map_lookup_elem(&shared_counts, &k);
  if (v)
    __sync_fetch_and_add(v, 1);
  return total_events > 1000000 ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";

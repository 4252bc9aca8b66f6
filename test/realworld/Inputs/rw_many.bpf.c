// A tracer with 30 programs in one object (one per syscall of interest), as
// tools that bundle many small probes do; all share one counters array.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 32);
  __type(key, u32);
  __type(value, u64);
} sys_hits SEC(".maps");

const volatile int target_tgid = 0;

static __always_inline int hit(u32 slot)
{
  if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
    return 0;
  u64 *v = bpf_map_lookup_elem(&sys_hits, &slot);
  if (v)
    __sync_fetch_and_add(v, 1);
  return 0;
}

#define P(n, sc) SEC("tp/syscalls/sys_enter_" #sc) int on_##sc(void *ctx) { return hit(n); }
P(0, getppid) P(1, getpgid) P(2, getuid) P(3, geteuid) P(4, getgid)
P(5, getegid) P(6, gettid) P(7, getpid) P(8, getsid) P(9, getpgrp)
P(10, sched_yield) P(11, getcwd) P(12, getrlimit) P(13, getrusage) P(14, umask)
P(15, sysinfo) P(16, times) P(17, newuname) P(18, getpriority) P(19, getitimer)
P(20, getgroups) P(21, getresuid) P(22, getresgid) P(23, capget) P(24, sched_getscheduler)
P(25, sched_getparam) P(26, personality) P(27, getcpu) P(28, gettimeofday) P(29, time)

char LICENSE[] SEC("license") = "GPL";

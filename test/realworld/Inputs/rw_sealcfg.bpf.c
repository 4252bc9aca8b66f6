// What tools configure at run time, made a seal-time act (issue 12): kconfig
// externs given with --set, a map sized with --max-entries (left at 0 in the
// source, as tools that call bpf_map__set_max_entries do), a program left out
// with --disable and an fentry placeholder retargeted with --attach-target
// (as fsslower's dummy_file_read).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

extern int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, u32);
  __type(value, u64);
} sized SEC(".maps"); // no max_entries: --max-entries sized=N

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u64);
} seen SEC(".maps");

const volatile u32 target_pid = 0;
u64 kver = 0, hz = 0, bpf_syscall = 0, getpid_hits = 0, unlinks = 0, never = 0;

SEC("tp/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
  if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
    return 0;
  kver = LINUX_KERNEL_VERSION;
  hz = CONFIG_HZ;
  bpf_syscall = CONFIG_BPF_SYSCALL;
  u32 last = 6; // the last slot of a 7-entry map
  u64 *v = bpf_map_lookup_elem(&sized, &last);
  if (v)
    __sync_fetch_and_add(v, 1);
  __sync_fetch_and_add(&getpid_hits, 1);
  return 0;
}

// Disabled at seal time: it would count every getpid too.
SEC("tp/syscalls/sys_enter_getpid")
int noisy(void *ctx)
{
  if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
    return 0;
  __sync_fetch_and_add(&never, 1);
  return 0;
}

// A placeholder target no kernel has; --attach-target retargets it.
SEC("fentry/dummy_unlink")
int BPF_PROG(unlink_entry)
{
  __sync_fetch_and_add(&unlinks, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

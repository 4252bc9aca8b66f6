// Alternative program groups (issue 12 item 3): "fentry where the kernel
// allows it, else a tracepoint" as one signed object. Sealed with
//   --alternative fentry=alt_fentry,alt_fexit,alt_fentry_tp
//   --alternative tp=alt_tp --alternative raw=alt_raw
// the load keeps the first group the kernel accepts whole. alt_exit is in no
// group: every load needs it. Each program counts the getpid calls of the
// baked target_pid in its own variable, so a test can tell exactly which
// programs ran.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile u32 target_pid = 0;
u64 fentry_hits = 0, fexit_hits = 0, fentry_tp_hits = 0, tp_hits = 0, raw_hits = 0, exits = 0;

static __always_inline bool from_target(void)
{
  return (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

// Group "fentry": needs BPF trampolines. alt_fexit's target is a name no
// x86_64 kernel's BTF has (getpid's SYSCALL_DEFINE0 wrapper has no BTF entry),
// so the loader's attach lookup itself fails (ENOENT), while alt_fentry's is
// found and its BPF_PROG_LOAD refused where trampolines are (EPERM): both
// ways a group program can fail. alt_fentry_tp is a tracepoint program of the
// same group, so the group is refused whole although the kernel accepted it.
SEC("fentry/__do_sys_getpid")
int BPF_PROG(alt_fentry)
{
  if (from_target())
    __sync_fetch_and_add(&fentry_hits, 1);
  return 0;
}

SEC("fexit/__x64_sys_getpid")
int BPF_PROG(alt_fexit)
{
  if (from_target())
    __sync_fetch_and_add(&fexit_hits, 1);
  return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int alt_fentry_tp(void *ctx)
{
  if (from_target())
    __sync_fetch_and_add(&fentry_tp_hits, 1);
  return 0;
}

// Group "tp": the fallback.
SEC("tp/syscalls/sys_enter_getpid")
int alt_tp(void *ctx)
{
  if (from_target())
    __sync_fetch_and_add(&tp_hits, 1);
  return 0;
}

// Group "raw": a later alternative; loads here too, but is never kept after "tp".
SEC("raw_tp/sys_enter")
int BPF_PROG(alt_raw, struct pt_regs *regs, long id)
{
  if (id == 39 /* __NR_getpid on x86_64 */ && from_target())
    __sync_fetch_and_add(&raw_hits, 1);
  return 0;
}

// In no group: always loaded.
SEC("tp/syscalls/sys_exit_getpid")
int alt_exit(void *ctx)
{
  if (from_target())
    __sync_fetch_and_add(&exits, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

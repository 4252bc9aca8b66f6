// execsnoop: one event per execve(), with its arguments and its result.
// The arguments are captured at syscall entry (the old image still exists),
// the result at exit; a hash map keyed by thread id carries the event between.
//
// Filters are build-time configuration, baked into .rodata by
// `bpfseal seal --set` (CMake: bpfseal_add_object(... SET ...)); a signed
// object cannot be reconfigured at load time.
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "execsnoop.h"

const volatile __u32 target_uid = (__u32)-1; // only this uid; -1: everyone
const volatile __u8 ignore_failed = 0;       // drop execs that fail
const volatile __u32 max_args = EXECSNOOP_MAX_ARGS;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 10240);
  __type(key, __u32);
  __type(value, struct exec_event);
} pending SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} events SEC(".maps");

// The event is too large for the BPF stack: it is built in place in `pending`
// from this zeroed template.
static const struct exec_event zero_event = {};

SEC("tp/syscalls/sys_enter_execve")
int execve_enter(struct trace_event_raw_sys_enter *ctx) {
  __u32 uid = (__u32)bpf_get_current_uid_gid();
  if (target_uid != (__u32)-1 && uid != target_uid)
    return 0;

  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 tid = (__u32)pid_tgid;
  if (bpf_map_update_elem(&pending, &tid, &zero_event, BPF_NOEXIST))
    return 0;
  struct exec_event *event = bpf_map_lookup_elem(&pending, &tid);
  if (!event)
    return 0;

  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  event->pid = pid_tgid >> 32;
  event->ppid = BPF_CORE_READ(task, real_parent, tgid);
  event->uid = uid;

  const char *filename = (const char *)BPF_CORE_READ(ctx, args[0]);
  const char *const *argv = (const char *const *)BPF_CORE_READ(ctx, args[1]);
  long len = bpf_probe_read_user_str(event->args, EXECSNOOP_ARG_LEN, filename);
  if (len <= 0)
    return 0;
  event->args_size = len;
  event->args_count = 1;

  // argv[0] repeats the program name; print the filename instead, like execsnoop.
  for (__u32 i = 1; i < EXECSNOOP_MAX_ARGS && i < max_args; i++) {
    const char *arg = NULL;
    if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
      return 0;
    __u32 offset = event->args_size;
    if (offset > EXECSNOOP_ARGS_BUF - EXECSNOOP_ARG_LEN)
      return 0;
    len = bpf_probe_read_user_str(&event->args[offset], EXECSNOOP_ARG_LEN, arg);
    if (len <= 0)
      return 0;
    event->args_size += len;
    event->args_count++;
  }
  // Arguments left over: say so rather than print a shortened command line as complete.
  const char *extra = NULL;
  if (!bpf_probe_read_user(&extra, sizeof(extra),
                           &argv[max_args < EXECSNOOP_MAX_ARGS ? max_args : EXECSNOOP_MAX_ARGS]) &&
      extra)
    event->args_truncated = 1;
  return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int execve_exit(struct trace_event_raw_sys_exit *ctx) {
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct exec_event *event = bpf_map_lookup_elem(&pending, &tid);
  if (!event)
    return 0;
  int ret = BPF_CORE_READ(ctx, ret);
  if (!(ignore_failed && ret < 0)) {
    event->retval = ret;
    bpf_get_current_comm(event->comm, sizeof(event->comm));
    bpf_ringbuf_output(&events, event, sizeof(*event), 0);
  }
  bpf_map_delete_elem(&pending, &tid);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

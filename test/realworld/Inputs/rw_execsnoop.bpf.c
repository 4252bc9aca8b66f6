// execsnoop-style (libbpf-tools): execve enter/exit with a per-pid hash of
// pending events, filters in .rodata, output on a PERF_EVENT_ARRAY.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define TASK_COMM_LEN 16
#define ARGSIZE 64

struct event {
  pid_t pid, ppid;
  uid_t uid;
  int retval;
  char comm[TASK_COMM_LEN];
  char arg0[ARGSIZE];
};

const volatile bool filter_cg = false;
const volatile uid_t targ_uid = (uid_t)-1;
const volatile bool ignore_failed = true;
const volatile char name_filter[TASK_COMM_LEN] = "";

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 10240);
  __type(key, pid_t);
  __type(value, struct event);
} execs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(u32));
  __uint(value_size, sizeof(u32));
} events SEC(".maps");

static const struct event empty_event = {};
u64 execs_seen = 0;

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
  uid_t uid = (u32)bpf_get_current_uid_gid();
  pid_t pid = bpf_get_current_pid_tgid() >> 32;
  struct event *e;

  if (targ_uid != (uid_t)-1 && targ_uid != uid)
    return 0;
  if (bpf_map_update_elem(&execs, &pid, &empty_event, BPF_NOEXIST))
    return 0;
  e = bpf_map_lookup_elem(&execs, &pid);
  if (!e)
    return 0;
  struct task_struct *task = (void *)bpf_get_current_task();
  e->pid = pid;
  e->uid = uid;
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  const char *argp = (const char *)ctx->args[0];
  bpf_probe_read_user_str(e->arg0, sizeof(e->arg0), argp);
  __sync_fetch_and_add(&execs_seen, 1);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
  pid_t pid = bpf_get_current_pid_tgid() >> 32;
  struct event *e = bpf_map_lookup_elem(&execs, &pid);

  if (!e)
    return 0;
  e->retval = ctx->ret;
  if (!(ignore_failed && ctx->ret < 0)) {
    bpf_get_current_comm(&e->comm, sizeof(e->comm));
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof(*e));
  }
  bpf_map_delete_elem(&execs, &pid);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

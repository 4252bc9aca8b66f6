// bootstrap-style process lifetime tracer: exec records the start time in a
// hash map, exit computes the duration and emits an event on a ring buffer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct event {
  int pid;
  int ppid;
  unsigned exit_code;
  unsigned long long duration_ns;
  char comm[16];
  bool exit_event;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, pid_t);
  __type(value, u64);
} exec_start SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} rb SEC(".maps");

const volatile unsigned long long min_duration_ns = 0;
unsigned long long exits_seen = 0;

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
  pid_t pid = bpf_get_current_pid_tgid() >> 32;
  u64 ts = bpf_ktime_get_ns();
  struct event *e;

  bpf_map_update_elem(&exec_start, &pid, &ts, BPF_ANY);
  if (min_duration_ns)
    return 0;
  e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e)
    return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  e->exit_event = false;
  e->pid = pid;
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  bpf_get_current_comm(&e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, 0);
  return 0;
}

SEC("tp/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_template *ctx)
{
  u64 id = bpf_get_current_pid_tgid();
  pid_t pid = id >> 32;
  u64 *start, dur = 0;

  if (pid != (u32)id)
    return 0;             // a thread, not the process
  start = bpf_map_lookup_elem(&exec_start, &pid);
  if (start)
    dur = bpf_ktime_get_ns() - *start;
  else if (min_duration_ns)
    return 0;
  bpf_map_delete_elem(&exec_start, &pid);
  if (min_duration_ns && dur < min_duration_ns)
    return 0;
  __sync_fetch_and_add(&exits_seen, 1);
  struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e)
    return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  e->exit_event = true;
  e->duration_ns = dur;
  e->pid = pid;
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  e->exit_code = (BPF_CORE_READ(task, exit_code) >> 8) & 0xff;
  bpf_get_current_comm(&e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, 0);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

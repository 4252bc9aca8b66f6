// profile-style: a perf_event program sampling stacks into a ring buffer, and
// a PERF_EVENT_ARRAY for the older output path.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_STACK_DEPTH 32
typedef u64 stack_trace_t[MAX_STACK_DEPTH];

struct stacktrace_event {
  u32 pid;
  u32 cpu_id;
  char comm[16];
  s32 kstack_sz;
  s32 ustack_sz;
  stack_trace_t kstack;
  stack_trace_t ustack;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(u32));
  __uint(value_size, sizeof(u32));
} perf_out SEC(".maps");

SEC("perf_event")
int profile(void *ctx)
{
  int pid = bpf_get_current_pid_tgid() >> 32;
  int cpu_id = bpf_get_smp_processor_id();
  struct stacktrace_event *event;

  event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
  if (!event)
    return 1;
  event->pid = pid;
  event->cpu_id = cpu_id;
  if (bpf_get_current_comm(event->comm, sizeof(event->comm)))
    event->comm[0] = 0;
  event->kstack_sz = bpf_get_stack(ctx, event->kstack, sizeof(event->kstack), 0);
  event->ustack_sz = bpf_get_stack(ctx, event->ustack, sizeof(event->ustack), BPF_F_USER_STACK);
  bpf_perf_event_output(ctx, &perf_out, BPF_F_CURRENT_CPU, &pid, sizeof(pid));
  bpf_ringbuf_submit(event, 0);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

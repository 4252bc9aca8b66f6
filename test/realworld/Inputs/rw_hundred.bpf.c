// 100 programs in one object, more than libbpf's loader keeps fd slots for
// (32): real tools ship fentry and kprobe twins of dozens of probes. Every
// program calls one subprogram (a slot of the loader's stack too) and counts
// getppid() calls into its own slot. Raw tracepoints: a perf-event tracepoint
// takes at most 64 programs (BPF_TRACE_MAX_PROGS).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 100);
  __type(key, u32);
  __type(value, u64);
} hits SEC(".maps");

const volatile int target_tgid = 0;

static __noinline int bump(struct bpf_raw_tracepoint_args *ctx, u32 slot)
{
  if (ctx->args[1] != 110 /* __NR_getppid on x86-64 */ ||
      (bpf_get_current_pid_tgid() >> 32) != target_tgid)
    return 0;
  u64 *v = bpf_map_lookup_elem(&hits, &slot);
  if (v)
    __sync_fetch_and_add(v, 1);
  return 0;
}

#define P(n)                                                                          \
  SEC("raw_tp/sys_enter") int p_##n(struct bpf_raw_tracepoint_args *ctx) { return bump(ctx, n); }
#define P10(t) P(t##0) P(t##1) P(t##2) P(t##3) P(t##4) P(t##5) P(t##6) P(t##7) P(t##8) P(t##9)
P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9)
P10(1) P10(2) P10(3) P10(4) P10(5) P10(6) P10(7) P10(8) P10(9)

char LICENSE[] SEC("license") = "GPL";

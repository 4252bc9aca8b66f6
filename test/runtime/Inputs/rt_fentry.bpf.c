// An fentry program: on kernels that refuse BPF trampolines (EPERM), loading
// must fail with an error that says so and names the program.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 fentry_hits = 0;

SEC("fentry/do_nanosleep")
int BPF_PROG(rt_fentry) {
  __sync_fetch_and_add(&fentry_hits, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

// An error that names its cause (issue 12 item 6): a stack-trace map whose
// value size the kernel refuses (not a multiple of 8; the sealer cannot know
// every kernel rule). The loader only returns EINVAL; the runtime names the map.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
  __uint(type, BPF_MAP_TYPE_STACK_TRACE);
  __uint(max_entries, 16);
  __type(key, u32);
  __type(value, u32[3]); // the kernel wants whole u64 frames: EINVAL
} stacks SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int use_stacks(void *ctx)
{
  bpf_get_stackid(ctx, &stacks, 0);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

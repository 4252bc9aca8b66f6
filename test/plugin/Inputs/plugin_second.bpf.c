// A second unit for linking tests (test/plugin): a tracepoint program with
// seal-time configuration and global data.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 sample_every = 1;
__u64 samples;

SEC("tp/syscalls/sys_enter_getpid")
int sample_getpid(void *ctx)
{
  if (bpf_get_prandom_u32() % sample_every == 0)
    samples++;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

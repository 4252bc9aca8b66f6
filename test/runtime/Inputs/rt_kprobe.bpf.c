// A kprobe: this kernel has no kprobe events, so attaching must fail with a
// clear error (and leave nothing behind).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/do_nanosleep")
int rt_kprobe(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";

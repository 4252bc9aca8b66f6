// A section kind libbpf knows but libbpfseal does not attach (ksyscall):
// attaching must fail with an error that names the section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("ksyscall/getpid")
int rt_ksyscall(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";

// Loads fine, but its tracepoint does not exist: attaching must fail with a
// one-line error naming it, and leave nothing behind.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tp/nosuch_category/nosuch_event")
int rt_badtp(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";

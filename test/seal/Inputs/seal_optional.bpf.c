// A program libbpf does not load by default (SEC("?...")): seal refuses it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("raw_tp/sys_enter")
int always(void *ctx) { return 0; }

SEC("?raw_tp/sys_exit")
int maybe(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";

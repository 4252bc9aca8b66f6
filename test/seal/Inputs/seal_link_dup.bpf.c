// Defines `bump` again: linking it with seal_link_b.bpf.c must fail.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__noinline __u64 bump(__u32 slot) { return slot; }

SEC("raw_tp/sys_exit")
int other_exit(void *ctx) { return bump(2) ? 0 : 1; }

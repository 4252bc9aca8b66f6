// 33 programs: one more than libbpf's loader generator can hold.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define P(n) SEC("raw_tp/sys_enter") int prog_##n(void *ctx) { return n; }
#define P8(a) P(a##0) P(a##1) P(a##2) P(a##3) P(a##4) P(a##5) P(a##6) P(a##7)
P8(1) P8(2) P8(3) P8(4) P(50)

char LICENSE[] SEC("license") = "GPL";

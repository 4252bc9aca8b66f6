// 127 programs: one more than the loader's stack has fd slots for (126).
// With -DSUBPROG, 126 programs that share one subprogram, which needs a slot
// of libbpf's loader too.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef SUBPROG
static __attribute__((noinline)) int value(int n) { return n + (int)bpf_get_smp_processor_id(); }
#define P(n) SEC("raw_tp/sys_enter") int prog_##n(void *ctx) { return value(n); }
#else
#define P(n) SEC("raw_tp/sys_enter") int prog_##n(void *ctx) { return n; }
#endif
#define P8(a) P(a##0) P(a##1) P(a##2) P(a##3) P(a##4) P(a##5) P(a##6) P(a##7)
P8(1) P8(2) P8(3) P8(4) P8(5) P8(6) P8(7) P8(8) P8(9) P8(10) P8(11) P8(12) P8(13) P8(14) P8(15)
P(0) P(1) P(2) P(3) P(4) P(5)
#ifndef SUBPROG
P(200)
#endif

char LICENSE[] SEC("license") = "GPL";

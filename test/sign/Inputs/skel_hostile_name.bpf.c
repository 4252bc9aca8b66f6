// A valid BPF program whose symbol (the program name libbpf and the manifest
// use) is C code, through an asm label: sealed normally, `bpfseal
// gen-skeleton` must refuse it, naming the field (gen-skeleton-hostile.test).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("raw_tp/sys_enter")
int named(void *ctx) __asm__("evil\"); int injected_by_name = 1; //");
int named(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";

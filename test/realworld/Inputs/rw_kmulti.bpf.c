#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
u64 hits = 0, rets = 0;
// kprobe.multi (fprobe, one link for many functions: retsnoop, Tetragon).
#ifdef RW_KMULTI_GLOB
#define RW_ENTRY "kprobe.multi/__x64_sys_getpp*"
#else
#define RW_ENTRY "kprobe.multi/__x64_sys_getppid"
#endif
SEC(RW_ENTRY) int kmulti(void *ctx) { __sync_fetch_and_add(&hits, 1); return 0; }
SEC("kretprobe.multi/__x64_sys_getppid") int kretmulti(void *ctx) { __sync_fetch_and_add(&rets, 1); return 0; }
char LICENSE[] SEC("license") = "GPL";

// The guest suite's alternative-groups object (issue 12 item 3), sealed by
// prepare.sh with --alternative fentry=vm_alt_fentry --alternative tp=vm_alt_tp:
// "fentry where the kernel has BPF trampolines, else a tracepoint", one signed
// file. vm_alt_all is in no group. vm_alt_hits[0] counts the fentry program's
// events, [1] the tracepoint program's, [2] vm_alt_all's, so the suite sees
// which group ran.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 3);
  __type(key, __u32);
  __type(value, __u64);
} vm_alt_hits SEC(".maps");

static __always_inline void hit(__u32 key) {
  __u64 *n = bpf_map_lookup_elem(&vm_alt_hits, &key);
  if (n)
    __sync_fetch_and_add(n, 1);
}

SEC("fentry/__x64_sys_openat")
int BPF_PROG(vm_alt_fentry) {
  hit(0);
  return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int vm_alt_tp(void *ctx) {
  hit(1);
  return 0;
}

SEC("raw_tp/sys_enter")
int vm_alt_all(void *ctx) {
  hit(2);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

// Counts execve() calls system-wide.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} exec_count SEC(".maps");

SEC("tp/syscalls/sys_enter_execve")
int count_execve(void *ctx) {
  __u32 key = 0;
  __u64 *count = bpf_map_lookup_elem(&exec_count, &key);
  if (count)
    __sync_fetch_and_add(count, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

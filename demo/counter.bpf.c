// The demo program: counts openat() calls of one process, read through CO-RE
// from the task struct, with a process filter baked in at seal time.
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} openat_calls SEC(".maps");

const volatile __u32 target_tgid = 0; // set with: bpfseal seal --set target_tgid=PID

SEC("tp/syscalls/sys_enter_openat")
int count_openat(void *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u32 tgid = BPF_CORE_READ(task, tgid);
  if (target_tgid && tgid != target_tgid)
    return 0;
  __u32 key = 0;
  __u64 *count = bpf_map_lookup_elem(&openat_calls, &key);
  if (count)
    __sync_fetch_and_add(count, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

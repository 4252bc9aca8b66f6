// CO-RE counter for the runtime tests: counts getppid() calls of one process
// (tgid baked at seal time with `bpfseal seal --set target_tgid=PID`) and
// records what it read from the task via BPF_CORE_READ. Maps of three kinds
// plus .rodata/.data/.bss globals, so the loader creates all of them.
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid = 0; // baked
const volatile __u64 step = 1;        // baked (default 1)

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u32);   // tid
  __type(value, __u64); // calls
} per_thread SEC(".maps");

__u64 total = 0;      // .bss
__u32 parent = 7;     // .data: tgid of the counted process's parent
__u32 seen_tgid = 0;  // .bss

SEC("tp/syscalls/sys_enter_getppid")
int count_getppid(void *ctx) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u32 tgid = BPF_CORE_READ(task, tgid);
  if (tgid != target_tgid)
    return 0;
  __u32 key = 0;
  __u64 *c = bpf_map_lookup_elem(&counts, &key);
  if (c)
    __sync_fetch_and_add(c, step);
  __u32 tid = BPF_CORE_READ(task, pid);
  __u64 one = 1, *t = bpf_map_lookup_elem(&per_thread, &tid);
  if (t)
    __sync_fetch_and_add(t, 1);
  else
    bpf_map_update_elem(&per_thread, &tid, &one, BPF_NOEXIST);
  __sync_fetch_and_add(&total, 1);
  parent = BPF_CORE_READ(task, real_parent, tgid);
  seen_tgid = tgid;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

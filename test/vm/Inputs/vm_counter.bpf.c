// The guest suite's test object: one CO-RE program that counts syscall
// entries and records the tgid of the last caller. The task_struct read is a
// CO-RE relocation, so each guest kernel relocates it against its own BTF.
// bpfseal-vmtest's bypass tests rename the program (vm_count -> pwnd_cnt) in
// an attacker's copy of the metadata, so keep the name.
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} vm_hits SEC(".maps");

const volatile __u64 increment = 1;

SEC("raw_tp/sys_enter")
int vm_count(void *ctx) {
  __u32 key = 0;
  __u64 *n = bpf_map_lookup_elem(&vm_hits, &key);
  if (n)
    __sync_fetch_and_add(n, increment);
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u32 last = 1;
  __u64 *tgid = bpf_map_lookup_elem(&vm_hits, &last);
  if (tgid)
    *tgid = BPF_CORE_READ(task, tgid);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

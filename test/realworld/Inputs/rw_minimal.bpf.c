// libbpf-bootstrap "minimal"-style: count write(2) calls of one process and
// say so with bpf_printk (its format string lands in .rodata.str1.1).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile int my_pid = 0;   // set at seal time: --set my_pid=...
__u64 writes = 0;                // .bss

SEC("tp/syscalls/sys_enter_write")
int handle_write(void *ctx)
{
  int pid = bpf_get_current_pid_tgid() >> 32;

  if (pid != my_pid)
    return 0;
  __sync_fetch_and_add(&writes, 1);
  bpf_printk("%s: write from pid %d", "rw_minimal", pid);  // literal -> .rodata.str1.1
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// bcc-style library probes whose section names the target (auto-attach): by
// library name, resolved like the dynamic loader does, and by absolute path
// (as bashreadline's "uretprobe//bin/bash:readline").
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

u64 libc_calls = 0, abs_calls = 0;

SEC("uprobe/libc.so.6:getppid")
int BPF_KPROBE(libc_getppid)
{
  __sync_fetch_and_add(&libc_calls, 1);
  return 0;
}

SEC("uretprobe//usr/lib/x86_64-linux-gnu/libc.so.6:getppid")
int BPF_KRETPROBE(abs_getppid, int ret)
{
  if (ret > 0)
    __sync_fetch_and_add(&abs_calls, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

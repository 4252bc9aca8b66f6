// A valid program: the error cases are all in the CMake calls.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile __u32 limit = 0;

SEC("tp/syscalls/sys_enter_getpid")
int on_getpid(void *ctx) { return limit; }

char LICENSE[] SEC("license") = "GPL";

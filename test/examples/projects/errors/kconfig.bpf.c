// A __kconfig extern: resolved from the sealing machine's kernel config, not
// the loading machine's. The BpfSeal plugin rejects it at this line.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern int LINUX_KERNEL_VERSION __kconfig;

SEC("tp/syscalls/sys_enter_getpid")
int on_getpid(void *ctx) { return LINUX_KERNEL_VERSION > 0; }

char LICENSE[] SEC("license") = "GPL";

// A __kconfig extern: libbpf would resolve it from the sealing machine's
// kernel config, so seal refuses it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("raw_tp/sys_enter")
int version(void *ctx) { return LINUX_KERNEL_VERSION > 0; }

char LICENSE[] SEC("license") = "GPL";

// __kconfig externs: libbpf would fill them from the kernel config of the
// machine that seals, so they are errors unless explicitly allowed.
//
// REQUIRES: plugin
// RUN: %clang-bpf -fplugin=%plugin -Xclang -verify -c %s -o %t.o
// RUN: %clang-bpf -fplugin=%plugin -fplugin-arg-bpfseal-allow-kconfig \
// RUN:   -Xclang -verify=allowed -c %s -o %t.o
// RUN: llvm-readelf --sections %t.o | FileCheck %s --check-prefix=OBJ
//
// The diagnostic as a user sees it: file:line:column, then the source line.
// RUN: not %clang-bpf -fplugin=%plugin -c %s -o %t.fail.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=TEXT
// RUN: not test -e %t.fail.o
//
// allowed-no-diagnostics
// OBJ: .bpfseal.unit
// RUN: python3 %inputs/plugin_unit_json.py %t.o | FileCheck %s --check-prefix=EXTERNS
// EXTERNS: "externs": [
// EXTERNS-NEXT: {
// EXTERNS-NEXT: "function": false,
// EXTERNS-NEXT: "kind": "kconfig",
// EXTERNS-NEXT: "name": "CONFIG_HZ",
// EXTERNS: "name": "LINUX_KERNEL_VERSION",
// EXTERNS-NOT: CONFIG_BPF_JIT

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// TEXT: kconfig.c:[[#@LINE+1]]:12: error: 'LINUX_KERNEL_VERSION' is a __kconfig extern: libbpf would fill it from the kernel configuration of the machine that seals the object, not of the one that loads it (give the target's value at seal time, 'bpfseal seal --set LINUX_KERNEL_VERSION=VALUE', and pass -fplugin-arg-bpfseal-allow-kconfig; the sealer refuses it unset)
extern int LINUX_KERNEL_VERSION __kconfig; // expected-error {{'LINUX_KERNEL_VERSION' is a __kconfig extern}}
// TEXT-NEXT: extern int LINUX_KERNEL_VERSION __kconfig;
// TEXT-NEXT: {{^ *\| +\^$}}

// Weak or not, every __kconfig extern that reaches the object is reported,
// once, at its first declaration.
extern unsigned long CONFIG_HZ __kconfig __weak; // expected-error {{'CONFIG_HZ' is a __kconfig extern}}
extern unsigned long CONFIG_HZ __kconfig __weak;

// One that nothing uses does not reach the object, like the ones headers such
// as usdt.bpf.h declare for helpers a program may not call.
extern _Bool CONFIG_BPF_JIT __kconfig;
static __always_inline int unused_helper(void) { return CONFIG_BPF_JIT; }

// __ksym externs are resolved by the loader in the target kernel: fine.
extern void bpf_rcu_read_lock(void) __ksym;

SEC("tp/syscalls/sys_enter_getpid")
int uses_kconfig(void *ctx)
{
  bpf_rcu_read_lock();
  return LINUX_KERNEL_VERSION > CONFIG_HZ;
}

char LICENSE[] SEC("license") = "GPL";
// TEXT: 2 errors generated.

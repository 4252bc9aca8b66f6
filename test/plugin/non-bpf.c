// Without -target bpf the plugin does nothing and says nothing: no
// diagnostics (not even for unknown arguments), no manifest section.
//
// REQUIRES: plugin
// RUN: clang-19 -O2 -c %s -o %t.o -fplugin=%plugin -fpass-plugin=%plugin \
// RUN:   -fplugin-arg-bpfseal-no-such-argument -fplugin-arg-bpfseal-seal 2>&1 \
// RUN:   | count 0
// RUN: llvm-readelf --file-header --sections %t.o | FileCheck %s
// CHECK: Machine: Advanced Micro Devices X86-64
// CHECK-NOT: .bpfseal.unit
//
// The same source is still checked when compiled for BPF.
// RUN: not %clang-bpf -fplugin=%plugin -c %s -o %t.bpf.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BPF
// BPF-DAG: error: '__bpfseal_test_kconfig' is a __kconfig extern
// BPF-DAG: warning: 'config_value' is a const volatile global

extern int __bpfseal_test_kconfig __attribute__((section(".kconfig"), weak));
const volatile int config_value = 1;

__attribute__((section("tp/syscalls/sys_enter_getpid")))
int host_function(void *ctx)
{
  return config_value + (&__bpfseal_test_kconfig ? __bpfseal_test_kconfig : 0);
}

// const volatile globals: a signed loader cannot rewrite .rodata at load
// time, so they are configured at seal time (`bpfseal seal --set NAME=V`).
// Warned about unless silenced for all (no-warn-config) or named by a
// -fplugin-arg-bpfseal-set=NAME=VALUE (whole variable, member or element).
//
// REQUIRES: plugin
// RUN: %clang-bpf -fplugin=%plugin -Xclang -verify=warn -c %s -o %t.o
// RUN: %clang-bpf -fplugin=%plugin -fplugin-arg-bpfseal-no-warn-config \
// RUN:   -Xclang -verify=none -c %s -o %t.o
// RUN: %clang-bpf -fplugin=%plugin -fplugin-arg-bpfseal-set=target_pid=42 \
// RUN:   -fplugin-arg-bpfseal-set=limits.max=7 -fplugin-arg-bpfseal-set=ports[1]=80 \
// RUN:   -Xclang -verify=set -c %s -o %t.o
// RUN: %clang-bpf -fplugin=%plugin -c %s -o %t.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=TEXT
//
// -Werror makes them errors (no object), -w silences them, as for clang's own.
// RUN: not %clang-bpf -fplugin=%plugin -Werror -c %s -o %t.werror.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=WERROR
// RUN: not test -e %t.werror.o
// RUN: %clang-bpf -fplugin=%plugin -w -Xclang -verify=none -c %s -o %t.o
//
// Warnings stay warnings: the object is written.
// RUN: %clang-bpf -fplugin=%plugin -c %s -o %t.warned.o 2>/dev/null
// RUN: llvm-readelf --sections %t.warned.o | FileCheck %s --check-prefix=OBJ
// OBJ: .bpfseal.unit
//
// none-no-diagnostics

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// WERROR: const-volatile.c:[[#@LINE+2]]:22: error: 'target_pid' is a const volatile global
// TEXT: const-volatile.c:[[#@LINE+1]]:22: warning: 'target_pid' is a const volatile global: a signed loader cannot change it at load time; set it at seal time with 'bpfseal seal --set target_pid=VALUE' (-fplugin-arg-bpfseal-no-warn-config silences this)
const volatile __u32 target_pid = 0; // warn-warning {{'target_pid' is a const volatile global}}

struct limits { __u32 min, max; };
const volatile struct limits limits = {1, 100}; // warn-warning {{'limits' is a const volatile global}}
const volatile __u16 ports[4]; // warn-warning {{'ports' is a const volatile global}}
// Not named by any set: still warned about with sets given.
const volatile _Bool verbose = 0; // warn-warning {{'verbose' is a const volatile global}} set-warning {{'verbose' is a const volatile global}}

// Plain const data and mutable globals are not configuration.
const __u32 fixed = 3;
volatile __u64 counter;
__u64 hits;

SEC("tp/syscalls/sys_enter_getpid")
int read_config(void *ctx)
{
  // Function-scope statics live in .rodata/.data too.
  static const volatile int local_knob = 1; // warn-warning {{'local_knob' is a const volatile global}} set-warning {{'local_knob' is a const volatile global}}
  if (verbose)
    hits += target_pid + limits.max + ports[1] + fixed + local_knob;
  counter++;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
// TEXT: 5 warnings generated.
// WERROR: 5 errors generated.

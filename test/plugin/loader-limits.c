// One generated loader carries at most 126 programs (one fd slot each on its
// 512-byte stack) and 64 maps (libbpf gen_loader's MAX_USED_MAPS). The first
// program or map over the limit is an error that names it.
//
// REQUIRES: plugin
// RUN: %clang-bpf -fplugin=%plugin -DPROGS=126 -DMAPS=63 -Xclang -verify=ok -c %s -o %t.ok.o
// RUN: python3 %inputs/plugin_unit_json.py %t.ok.o | FileCheck %s --check-prefix=FITS
// RUN: not %clang-bpf -fplugin=%plugin -DPROGS=127 -DMAPS=1 -c %s -o %t.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PROGS
// RUN: not %clang-bpf -fplugin=%plugin -DPROGS=1 -DMAPS=64 -c %s -o %t.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MAPS
// RUN: not test -e %t.o
// A subprogram takes a loader stack slot too: 126 programs and one are too many.
// RUN: not %clang-bpf -fplugin=%plugin -DPROGS=126 -DMAPS=1 -DSUBPROG -c %s -o %t.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SUBPROG
// RUN: not test -e %t.o
// With -fpass-plugin alone the pass reports through LLVM (file:line in the text).
// RUN: not %clang-bpf -fpass-plugin=%plugin -DPROGS=127 -DMAPS=1 -c %s -o %t.o 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PASSONLY
// RUN: not test -e %t.o
// ok-no-diagnostics
//
// The sealer (libbpf gen_loader) agrees on both sides of each boundary and
// on the program or map it names.
// RUN: %bpfseal seal %t.ok.o -o %t.ok.sealed.o | FileCheck %s --check-prefix=SEAL-FITS
// SEAL-FITS: 126 programs, 64 maps
// RUN: %clang-bpf -DPROGS=127 -DMAPS=1 -c %s -o %t.progs.o
// RUN: not %bpfseal seal %t.progs.o -o %t.sealed.o 2>&1 | FileCheck %s --check-prefix=SEAL-PROGS
// SEAL-PROGS: program 'prog_200' exceeds the loader's limit of 126 programs per object (one 4-byte fd slot each on the kernel's 512-byte BPF stack)
// RUN: %clang-bpf -DPROGS=1 -DMAPS=64 -c %s -o %t.maps.o
// RUN: not %bpfseal seal %t.maps.o -o %t.sealed.o 2>&1 | FileCheck %s --check-prefix=SEAL-MAPS
// SEAL-MAPS: map '{{.*}}.bss' exceeds libbpf's loader limit of 64 maps
//
// FITS: "function": "prog_157"
// Counted on the optimized module: the static helper pointers of
// bpf_helper_defs.h are gone by then and do not count as .data.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CAT(a, b) a##b
#define MAP(n)                                                                 \
  struct {                                                                     \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                          \
    __uint(max_entries, 1);                                                    \
    __type(key, __u32);                                                        \
    __type(value, __u64);                                                      \
  } CAT(map_, n) SEC(".maps");
#ifdef SUBPROG
// SUBPROG: loader-limits.c:[[#@LINE+2]]:{{[0-9]+}}: error: subprogram 'add' needs loader stack slot number 127 of this unit (one per program and subprogram), but one signed loader has 126 (the loader's 512-byte BPF stack); split the programs into separate objects
// SUBPROG: 1 error generated.
static __attribute__((noinline)) int add(int n) {
  return n + (int)bpf_get_smp_processor_id();
}
#define BUMP hits += add(1)
#else
#define BUMP hits++
#endif
#define PROG(n)                                                                \
  SEC("xdp") int CAT(prog_, n)(struct xdp_md *ctx) {                           \
    BUMP;                                                                      \
    return XDP_PASS;                                                           \
  }
#define REPEAT8(M, p) M(p##0) M(p##1) M(p##2) M(p##3) M(p##4) M(p##5) M(p##6) M(p##7)

#if MAPS >= 1
MAP(0)
#endif
#if MAPS >= 63
REPEAT8(MAP, 1) REPEAT8(MAP, 2) REPEAT8(MAP, 3) REPEAT8(MAP, 4)
REPEAT8(MAP, 5) REPEAT8(MAP, 6) REPEAT8(MAP, 7)
MAP(80) MAP(81) MAP(82) MAP(83) MAP(84) MAP(85)
#endif
#if MAPS >= 64
MAP(86)
#endif

// The 64 maps in .maps plus .bss (this counter) make 65.
// MAPS: loader-limits.c:[[#@LINE+2]]:7: error: map '.bss (holding 'hits')' is map number 65 of this unit (counting .data/.rodata/.bss sections and .kconfig), but one signed loader can carry at most 64 (libbpf gen_loader MAX_USED_MAPS); split the maps into separate objects
// MAPS: 1 error generated.
__u64 hits;

PROG(0)
#if PROGS >= 126
PROG(1) PROG(2) PROG(3) PROG(4) PROG(5)
REPEAT8(PROG, 1) REPEAT8(PROG, 2) REPEAT8(PROG, 3) REPEAT8(PROG, 4) REPEAT8(PROG, 5)
REPEAT8(PROG, 6) REPEAT8(PROG, 7) REPEAT8(PROG, 8) REPEAT8(PROG, 9) REPEAT8(PROG, 10)
REPEAT8(PROG, 11) REPEAT8(PROG, 12) REPEAT8(PROG, 13) REPEAT8(PROG, 14) REPEAT8(PROG, 15)
#endif
#if PROGS >= 127
// PROGS: loader-limits.c:[[#@LINE+3]]:1: error: program 'prog_200' is program number 127 of this unit, but one signed loader can carry at most 126 (one fd slot each on the loader's 512-byte BPF stack); split the programs into separate objects
// PROGS: 1 error generated.
// PASSONLY: error: bpfseal: {{.*}}loader-limits.c:[[#@LINE+1]]: program 'prog_200' is program number 127 of this unit
PROG(200)
#endif

char LICENSE[] SEC("license") = "GPL";

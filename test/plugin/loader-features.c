// Features a generated signed loader cannot create are errors naming the
// map: prog-array initial slots and struct_ops maps.
//
// REQUIRES: plugin
// RUN: %clang-bpf -fplugin=%plugin -Xclang -verify -c %s -o %t.o
// RUN: not %clang-bpf -fplugin=%plugin -c %s -o %t.o 2>&1 | FileCheck %s
// RUN: %clang-bpf -fplugin=%plugin -DONLY_SUPPORTED -Xclang -verify=ok -c %s -o %t.ok.o
// What the plugin accepts, the sealer (libbpf gen_loader) can seal.
// RUN: %bpfseal seal %t.ok.o -o %t.ok.sealed.o | FileCheck %s --check-prefix=SEALED
// SEALED: sealed {{.*}}: 1 programs, 3 maps
// ok-no-diagnostics

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_getpid")
int tail_target(void *ctx) { return 0; }

// A prog array without initial slots is fine: user space fills it.
struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} empty_jmp_table SEC(".maps");

// Map-in-map initial slots are something gen_loader does populate.
struct inner {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} inner_a SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, struct inner);
} outer SEC(".maps") = {
  .values = { [0] = &inner_a },
};

#ifndef ONLY_SUPPORTED
struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __array(values, int (void *));
} jmp_table SEC(".maps") = {
  // CHECK: loader-features.c:[[#@LINE+1]]:13: error: map 'jmp_table' is a BPF_MAP_TYPE_PROG_ARRAY with initial slots (.values): a generated signed loader cannot fill prog-array slots; fill them from user space after loading
  .values = { [2] = (void *)&tail_target }, // expected-error {{map 'jmp_table' is a BPF_MAP_TYPE_PROG_ARRAY with initial slots}}
};

struct sched_like_ops {
  int (*init)(void);
  char name[16];
};

SEC("struct_ops/my_init")
int my_init(void) { return 0; }

// CHECK: loader-features.c:[[#@LINE+2]]:23: error: map 'ops' is a struct_ops map (section '.struct_ops'): a generated signed loader cannot create struct_ops maps
SEC(".struct_ops")
struct sched_like_ops ops = { .init = (void *)my_init, .name = "ops" }; // expected-error {{map 'ops' is a struct_ops map (section '.struct_ops')}}

// CHECK: loader-features.c:[[#@LINE+2]]:23: error: map 'ops_link' is a struct_ops map (section '.struct_ops.link')
SEC(".struct_ops.link")
struct sched_like_ops ops_link = { .init = (void *)my_init, .name = "ops_link" }; // expected-error {{map 'ops_link' is a struct_ops map (section '.struct_ops.link')}}
// CHECK: 3 errors generated.
#endif

char LICENSE[] SEC("license") = "GPL";

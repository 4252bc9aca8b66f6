// -fpass-plugin alone writes the manifest (from debug info: no frontend
// checks, no locations without -g). Given together with -fplugin, the pass
// runs once, as the frontend's instance: one unit, with locations even
// without -g. Also at -O0. (opt cannot load the module: it needs
// libclang-cpp's symbols, which only clang's process has.)
//
// REQUIRES: plugin
// RUN: %clang-bpf -fpass-plugin=%plugin -c %s -o %t.pass.o
// RUN: python3 %inputs/plugin_unit_json.py %t.pass.o | FileCheck %s --check-prefix=PASS
// PASS: "programs": [
// PASS-NEXT:  {
// PASS-NEXT:   "file": "{{.*}}pass-plugin.c",
// PASS-NEXT:   "function": "count_getpid",
// PASS-NEXT:   "line": [[#@LINE+29]],
//
// Both flags: one unit; without -g the locations come from the frontend.
// RUN: %clang-bpf -g0 -fplugin=%plugin -fpass-plugin=%plugin -c %s -o %t.both.o
// RUN: python3 %inputs/plugin_unit_json.py --count %t.both.o | FileCheck %s --check-prefix=ONE
// RUN: python3 %inputs/plugin_unit_json.py %t.both.o | FileCheck %s --check-prefix=BOTH
// ONE: units: 1
// BOTH: "function": "count_getpid",
// BOTH-NEXT: "line": [[#@LINE+21]],
//
// -fpass-plugin alone without -g: no locations, but still the source hash.
// RUN: %clang-bpf -g0 -fpass-plugin=%plugin -c %s -o %t.nog.o
// RUN: python3 %inputs/plugin_unit_json.py %t.nog.o | FileCheck %s --check-prefix=NOG
// NOG: "function": "count_getpid",
// NOG-NEXT: "section": "tp/syscalls/sys_enter_getpid"
// NOG: "source_sha256": "{{([0-9a-f]{64})}}"
//
// -O0, and -emit-llvm shows the global behind the section.
// RUN: %clang-bpf -O0 -fplugin=%plugin -c %s -o %t.O0.o
// RUN: python3 %inputs/plugin_unit_json.py --count %t.O0.o | FileCheck %s --check-prefix=ONE
// RUN: %clang-bpf -fplugin=%plugin -S -emit-llvm -c %s -o - | FileCheck %s --check-prefix=IR
// IR: @__bpfseal_unit = private constant {{.*}}section ".bpfseal.unit"{{.*}}!exclude

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 calls;

SEC("tp/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
  calls++;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

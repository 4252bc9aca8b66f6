// The .bpfseal.unit manifest: programs with their ELF section and source
// line, maps, global data with its section, externs, license, provenance.
// The section is not allocated, so libbpf never maps it.
//
// REQUIRES: plugin
// RUN: %clang-bpf -fplugin=%plugin -fplugin-arg-bpfseal-allow-kconfig \
// RUN:   -fplugin-arg-bpfseal-no-warn-config -c %s -o %t.o
// RUN: llvm-readelf --sections %t.o | FileCheck %s --check-prefix=SECTION
// RUN: sha256sum %s > %t.txt
// RUN: python3 %inputs/plugin_unit_json.py %t.o >> %t.txt
// RUN: FileCheck %s --input-file=%t.txt
//
// Non-allocated ("E" = SHF_EXCLUDE only, no "A"), byte-aligned PROGBITS.
// SECTION: .bpfseal.unit PROGBITS {{[0-9a-f]+}} {{[0-9a-f]+}} {{[0-9a-f]+}} 00 E 0 0 1

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// The first line of the input is sha256sum's digest of this file.
// CHECK: [[SHA:[0-9a-f]{64}]]  {{.*}}manifest.c
// CHECK-NEXT: {
// CHECK-NEXT:  "compiler": "{{.*}}clang version 19.{{.*}}",
// CHECK-NEXT:  "externs": [
// CHECK-NEXT:   {
// CHECK-NEXT:    "function": false,
// CHECK-NEXT:    "kind": "kconfig",
// CHECK-NEXT:    "name": "CONFIG_HZ",
// CHECK-NEXT:    "weak": true
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:    "function": true,
// CHECK-NEXT:    "kind": "ksym",
// CHECK-NEXT:    "name": "bpf_rcu_read_lock",
// CHECK-NEXT:    "weak": false
// CHECK-NEXT:   }
// CHECK-NEXT:  ],
extern unsigned long CONFIG_HZ __kconfig __weak;
extern void bpf_rcu_read_lock(void) __ksym;

// CHECK-NEXT:  "globals": [
// CHECK-NEXT:   {
// CHECK-NEXT:    "const_volatile": false,
// CHECK-NEXT:    "file": "{{.*}}manifest.c",
// CHECK-NEXT:    "line": [[#@LINE+3]],
// CHECK-NEXT:    "name": "events_seen",
// CHECK-NEXT:    "section": ".bss",
__u64 events_seen;
// CHECK-NEXT:    "size": 8
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:    "const_volatile": false,
// CHECK-NEXT:    "file": "{{.*}}manifest.c",
// CHECK-NEXT:    "line": [[#@LINE+3]],
// CHECK-NEXT:    "name": "ratio",
// CHECK-NEXT:    "section": ".data",
int ratio = 3;
// CHECK-NEXT:    "size": 4
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:    "const_volatile": true,
// CHECK-NEXT:    "file": "{{.*}}manifest.c",
// CHECK-NEXT:    "line": [[#@LINE+3]],
// CHECK-NEXT:    "name": "target_pid",
// CHECK-NEXT:    "section": ".rodata",
const volatile __u32 target_pid = 0;
// CHECK-NEXT:    "size": 4
// CHECK-NEXT:   },
// CHECK-NEXT:   {
// CHECK-NEXT:    "const_volatile": false,
// CHECK-NEXT:    "file": "{{.*}}manifest.c",
// CHECK-NEXT:    "line": [[#@LINE+3]],
// CHECK-NEXT:    "name": "tuning",
// CHECK-NEXT:    "section": ".data.tuning",
int tuning[2] SEC(".data.tuning") = {1, 2};
// CHECK-NEXT:    "size": 8
// CHECK-NEXT:   }
// CHECK-NEXT:  ],
// CHECK-NEXT:  "license": "Dual BSD/GPL",
// CHECK-NEXT:  "maps": [
// CHECK-NEXT:   {
// CHECK-NEXT:    "file": "{{.*}}manifest.c",
// CHECK-NEXT:    "key_size": 4,
// CHECK-NEXT:    "line": [[#@LINE+13]],
// CHECK-NEXT:    "max_entries": 128,
// CHECK-NEXT:    "name": "counts",
// CHECK-NEXT:    "section": ".maps",
// CHECK-NEXT:    "type": 1,
// CHECK-NEXT:    "value_size": 8
// CHECK-NEXT:   }
// CHECK-NEXT:  ],
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 128);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

// CHECK-NEXT:  "plugin_version": "{{[0-9]+\.[0-9]+\.[0-9]+}}",
// CHECK-NEXT:  "programs": [
// CHECK-NEXT:   {
// CHECK-NEXT:    "file": "{{.*}}manifest.c",
// CHECK-NEXT:    "function": "count_exec",
// CHECK-NEXT:    "line": [[#@LINE+4]],
// CHECK-NEXT:    "section": "tp/syscalls/sys_enter_execve"
// CHECK-NEXT:   },
SEC("tp/syscalls/sys_enter_execve")
int count_exec(void *ctx)
{
  __u32 pid = bpf_get_current_pid_tgid() >> 32;
  __u64 one = 1, *v;

  if (target_pid && pid != target_pid)
    return 0;
  v = bpf_map_lookup_elem(&counts, &pid);
  if (v)
    __sync_fetch_and_add(v, 1);
  else
    bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
  events_seen += ratio + tuning[1] + CONFIG_HZ;
  return 0;
}

// CHECK-NEXT:   {
// CHECK-NEXT:    "file": "{{.*}}manifest.c",
// CHECK-NEXT:    "function": "pass_all",
// CHECK-NEXT:    "line": [[#@LINE+5]],
// CHECK-NEXT:    "section": "xdp"
// CHECK-NEXT:   }
// CHECK-NEXT:  ],
SEC("xdp")
int pass_all(struct xdp_md *ctx)
{
  bpf_rcu_read_lock();
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// CHECK-NEXT:  "source": "{{.*}}manifest.c",
// CHECK-NEXT:  "source_sha256": "[[SHA]]",
// CHECK-NEXT:  "unit_format": 1
// CHECK-NEXT: }

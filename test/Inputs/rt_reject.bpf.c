// Compiles and seals, but the kernel's verifier refuses it: the map value is
// dereferenced without a NULL check (a hash map: array lookups with a
// constant key are known non-NULL to newer verifiers). The runtime must report the verifier's
// reason (the end of its log) and leave nothing behind.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} rejected_map SEC(".maps");

SEC("raw_tp/sys_enter")
int rejected_prog(void *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&rejected_map, &key);
  *v += 1; // no NULL check: "invalid mem access 'map_value_or_null'"
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

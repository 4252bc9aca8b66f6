// A small BPF object with a program, a map and read-only data: enough to
// exercise the sealed-object format without the sealer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} hits SEC(".maps");

const volatile __u32 sample_rate = 1;

SEC("raw_tp/sys_enter")
int count_enter(void *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&hits, &key);
  if (v && sample_rate)
    __sync_fetch_and_add(v, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

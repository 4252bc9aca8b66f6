// attack-blob-swap tests: two builds of one program that differ only in an
// immediate (-DSTEP=N): same instruction count and BTF, so their gen_loader
// blobs have one size and one layout.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef STEP
#define STEP 1
#endif

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} swap_hits SEC(".maps");

SEC("raw_tp/sys_enter")
int swap_count(void *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&swap_hits, &key);
  if (v)
    __sync_fetch_and_add(v, STEP);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

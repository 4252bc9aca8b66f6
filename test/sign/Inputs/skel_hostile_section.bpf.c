// A valid BPF program whose SEC() name carries a newline, a comment end, a
// quote, a backslash and a terminal escape: sealed and signed normally, it
// must still not put code into the headers `bpfseal gen-skeleton` writes
// (test/sign/gen-skeleton-hostile.test).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} hostile_hits SEC(".maps");

SEC("raw_tp/\" */\nint injected_by_section = 1; /* \\\n\t")
int hostile_prog(void *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&hostile_hits, &key);
  if (v)
    __sync_fetch_and_add(v, 1);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

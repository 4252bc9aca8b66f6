// A small program with a map and a bakeable constant, sealed and signed by
// the test/sign lit tests. UAPI headers only (compile with
// -I/usr/include/$(multiarch)), so the tests need no generated vmlinux.h.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} sign_hits SEC(".maps");

const volatile __u32 sign_step = 1;

SEC("raw_tp/sys_enter")
int sign_count(void *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&sign_hits, &key);
  if (v)
    __sync_fetch_and_add(v, sign_step);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

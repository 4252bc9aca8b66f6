// First half of a two-unit program for the test/seal link tests. The unit
// manifest is written by hand (as the bpfseal Clang plugin would: a
// NUL-terminated JSON object in a non-allocated .bpfseal.unit section), so
// the tests do not need the plugin.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

asm(".pushsection .bpfseal.unit,\"e\",@progbits\n"
    ".asciz \"{\\\"unit_format\\\":1,\\\"source\\\":\\\"seal_link_a.bpf.c\\\",\\\"programs\\\":"
    "[{\\\"function\\\":\\\"count_enter\\\",\\\"section\\\":\\\"raw_tp/sys_enter\\\","
    "\\\"file\\\":\\\"seal_link_a.bpf.c\\\",\\\"line\\\":26}]}\"\n"
    ".popsection");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} link_counts SEC(".maps");

const volatile __u32 link_step = 1;

__u64 bump(__u32 slot);

SEC("raw_tp/sys_enter")
int count_enter(void *ctx) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&link_counts, &key);
  if (v)
    __sync_fetch_and_add(v, link_step);
  return bump(1) ? 0 : 0;
}

char LICENSE[] SEC("license") = "GPL";

// Second half of the two-unit program (see seal_link_a.bpf.c): a program of
// its own, and a global function the first unit calls across the link.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

asm(".pushsection .bpfseal.unit,\"e\",@progbits\n"
    ".asciz \"{\\\"unit_format\\\":1,\\\"source\\\":\\\"seal_link_b.bpf.c\\\",\\\"programs\\\":"
    "[{\\\"function\\\":\\\"count_exit\\\",\\\"section\\\":\\\"raw_tp/sys_exit\\\","
    "\\\"file\\\":\\\"seal_link_b.bpf.c\\\",\\\"line\\\":27}]}\"\n"
    ".popsection");

extern struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} link_counts SEC(".maps");

__noinline __u64 bump(__u32 slot) {
  __u64 *v = bpf_map_lookup_elem(&link_counts, &slot);
  if (v)
    __sync_fetch_and_add(v, 1);
  return v ? *v : 0;
}

SEC("raw_tp/sys_exit")
int count_exit(void *ctx) {
  bump(1);
  return 0;
}

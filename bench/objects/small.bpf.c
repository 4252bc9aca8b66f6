// The bench's small object: two small programs, one small array map and one
// baked constant. Nothing here dominates a load, so loader differences show.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

const volatile __u64 increment = 1;

static __always_inline int bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);
	if (v)
		__sync_fetch_and_add(v, increment);
	return 0;
}

SEC("raw_tp/sys_enter")
int on_enter(void *ctx)
{
	return bump(0);
}

SEC("raw_tp/sys_exit")
int on_exit(void *ctx)
{
	return bump(1);
}

char LICENSE[] SEC("license") = "GPL";

// A prog_array with initial slots: libbpf's loader generator cannot fill
// them, so seal refuses the object naming the map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int tail(struct __sk_buff *skb) { return 0; }

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, int(void *));
} jumps SEC(".maps") = {.values = {[0] = (void *)&tail}};

SEC("socket")
int entry(struct __sk_buff *skb) {
  bpf_tail_call(skb, &jumps, 0);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

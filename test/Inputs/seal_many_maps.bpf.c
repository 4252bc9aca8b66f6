// 65 maps: one more than libbpf's loader generator can hold.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define M(n)                                                                                       \
  struct {                                                                                         \
    __uint(type, BPF_MAP_TYPE_ARRAY);                                                              \
    __uint(max_entries, 1);                                                                        \
    __type(key, __u32);                                                                            \
    __type(value, __u32);                                                                          \
  } map_##n SEC(".maps");
#define M8(a) M(a##0) M(a##1) M(a##2) M(a##3) M(a##4) M(a##5) M(a##6) M(a##7)
M8(1) M8(2) M8(3) M8(4) M8(5) M8(6) M8(7) M8(8) M(90)

SEC("raw_tp/sys_enter")
int touch(void *ctx) {
  __u32 key = 0;
  return bpf_map_lookup_elem(&map_90, &key) != 0;
}

char LICENSE[] SEC("license") = "GPL";

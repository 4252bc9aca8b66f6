// The guest suite's many-program object: 100 programs, more program fds than
// libbpf's loader keeps stack slots for (32), each counting syscall entries
// into its own slot through one shared subprogram (which needs a slot too).
// Row hundred-programs loads it in the strongest mode each kernel offers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 100);
  __type(key, __u32);
  __type(value, __u64);
} vm_hund SEC(".maps");

static __attribute__((noinline)) int bump(__u32 slot) {
  __u64 *n = bpf_map_lookup_elem(&vm_hund, &slot);
  if (n)
    __sync_fetch_and_add(n, 1);
  return 0;
}

#define P(n) SEC("raw_tp/sys_enter") int vm_h##n(void *ctx) { return bump(n); }
#define P10(t) P(t##0) P(t##1) P(t##2) P(t##3) P(t##4) P(t##5) P(t##6) P(t##7) P(t##8) P(t##9)
P(0) P(1) P(2) P(3) P(4) P(5) P(6) P(7) P(8) P(9)
P10(1) P10(2) P10(3) P10(4) P10(5) P10(6) P10(7) P10(8) P10(9)

char LICENSE[] SEC("license") = "GPL";

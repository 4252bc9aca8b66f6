// Programs of several types in sections whose ELF order differs from their
// names' order, plus .rodata/.data/.bss: the loader's prog_desc/map_desc
// order must be the manifest's (test/unit/sealer_kernel_test.cpp).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} zz_hash SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 3);
  __type(key, __u32);
  __type(value, __u32);
} aa_array SEC(".maps");

const volatile __u32 order_limit = 3;
__u32 order_data = 7;
__u64 order_bss;

SEC("xdp")
int z_xdp(struct xdp_md *ctx) { return order_limit ? XDP_PASS : XDP_DROP; }

SEC("socket")
int m_socket(struct __sk_buff *skb) { return order_data; }

SEC("raw_tp/sys_enter")
int a_raw_tp(void *ctx) {
  __u32 key = 0;
  __u64 one = 1;
  order_bss++;
  bpf_map_update_elem(&zz_hash, &key, &one, BPF_ANY);
  return bpf_map_lookup_elem(&aa_array, &key) ? 0 : 1;
}

SEC("tc")
int b_tc(struct __sk_buff *skb) { return 0; }

char LICENSE[] SEC("license") = "GPL";

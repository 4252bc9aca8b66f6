// A map pinned by name, as Cilium/Katran share maps between objects. libbpf
// pins or reuses it with bpf() calls at load time; under gen_loader those run
// on the sealing machine, so the plugin and the sealer refuse it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, u32);
  __type(value, u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} rw_shared_flows SEC(".maps");

SEC("tc")
int count_flows(struct __sk_buff *skb)
{
  u32 key = skb->ifindex;
  u64 one = 1, *v = bpf_map_lookup_elem(&rw_shared_flows, &key);
  if (v)
    __sync_fetch_and_add(v, 1);
  else
    bpf_map_update_elem(&rw_shared_flows, &key, &one, BPF_NOEXIST);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

// Cilium-style tail calls: an XDP entry program dispatches through a
// PROG_ARRAY to a second stage. The array has no initial slots (a signed
// loader cannot fill them): user space fills slot 0 after loading.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, u32);
} jmp_table SEC(".maps");

u64 entry_pkts = 0, stage2_pkts = 0, fallthrough = 0;

SEC("xdp")
int xdp_stage2(struct xdp_md *ctx)
{
  __sync_fetch_and_add(&stage2_pkts, 1);
  return XDP_PASS;
}

SEC("xdp")
int xdp_entry(struct xdp_md *ctx)
{
  __sync_fetch_and_add(&entry_pkts, 1);
  bpf_tail_call(ctx, &jmp_table, 0);
  __sync_fetch_and_add(&fallthrough, 1);   // slot empty
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

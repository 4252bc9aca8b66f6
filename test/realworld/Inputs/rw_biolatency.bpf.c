// biolatency-style block I/O latency histograms: tp_btf programs, a start
// timestamp HASH, per-disk histogram HASH, a PERCPU_ARRAY scratch slot, a
// static log2 helper and a global (BTF func info) subprogram.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define MAX_SLOTS 27
struct hist_key { u32 dev; };
struct hist { u32 slots[MAX_SLOTS]; };

const volatile bool targ_per_disk = false;
const volatile bool targ_ms = false;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 10240);
  __type(key, u64);                 // struct request address
  __type(value, u64);
} start SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, struct hist_key);
  __type(value, struct hist);
} hists SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, u32);
  __type(value, struct hist);
} zero_hist SEC(".maps");

static __noinline u64 log2l(u64 v)         // static subprogram
{
  u64 r = 0;
  for (int i = 0; i < 63 && v > 1; i++, v >>= 1)
    r++;
  return r;
}

// A global function (BTF func info, verified on its own): scalars only.
__noinline int hist_slot(u64 delta, int in_ms)
{
  delta /= in_ms ? 1000000U : 1000U;
  u64 slot = log2l(delta);
  return slot >= MAX_SLOTS ? MAX_SLOTS - 1 : slot;
}

static __always_inline int trace_rq_start(u64 rq)
{
  u64 ts = bpf_ktime_get_ns();
  if (!rq)
    return 0;
  bpf_map_update_elem(&start, &rq, &ts, 0);
  return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request *rq) { return trace_rq_start((u64)rq); }

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request *rq) { return trace_rq_start((u64)rq); }

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
  u64 *tsp, delta;
  struct hist_key hkey = {};
  struct hist *histp;
  u32 zero = 0;

  u64 key = (u64)rq;
  tsp = bpf_map_lookup_elem(&start, &key);
  if (!tsp)
    return 0;
  delta = bpf_ktime_get_ns() - *tsp;
  if (targ_per_disk) {
    struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
    hkey.dev = disk ? ((u32)BPF_CORE_READ(disk, major) << 20) | BPF_CORE_READ(disk, first_minor) : 0;
  }
  histp = bpf_map_lookup_elem(&hists, &hkey);
  if (!histp) {
    struct hist *z = bpf_map_lookup_elem(&zero_hist, &zero);
    if (!z)
      goto cleanup;
    bpf_map_update_elem(&hists, &hkey, z, BPF_NOEXIST);
    histp = bpf_map_lookup_elem(&hists, &hkey);
    if (!histp)
      goto cleanup;
  }
  u32 slot = hist_slot(delta, targ_ms);
  if (slot < MAX_SLOTS)
    __sync_fetch_and_add(&histp->slots[slot], 1);
cleanup:
  bpf_map_delete_elem(&start, &key);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

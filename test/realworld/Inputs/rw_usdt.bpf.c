// usdt-style: libbpf's USDT support (usdt.bpf.h) for a static probe point.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

u64 probe_hits = 0;

SEC("usdt")
int BPF_USDT(on_probe, int x, long y)
{
  __sync_fetch_and_add(&probe_hits, 1);
  bpf_printk("usdt: x=%d y=%ld", x, y);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

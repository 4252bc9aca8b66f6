// A second unit that also includes usdt.bpf.h: its __weak maps and the
// LINUX_HAS_BPF_COOKIE extern must merge with rw_usdt.bpf.c's under bpfseal link.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

u64 other_hits = 0;

SEC("usdt")
int BPF_USDT(on_other, int x)
{
  __sync_fetch_and_add(&other_hits, 1);
  return 0;
}

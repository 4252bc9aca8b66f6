// BPF_USDT programs for rw_usdt_target.c's <sys/sdt.h> probes: every hit
// counted with its arguments, read by usdt.bpf.h through the spec that
// libbpfseal wrote into __bpf_usdt_specs for the site (register, stack
// memory and constant locations; sign extension of int and short).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

u64 ticks = 0, sum_i = 0, last_big = 0, gated = 0, sites = 0, arg_cnts = 0;
long long site_sum_a = 0, site_sum_b = 0;

SEC("usdt")
int BPF_USDT(on_tick, int i, long big)
{
  __sync_fetch_and_add(&ticks, 1);
  __sync_fetch_and_add(&sum_i, i);
  last_big = big;
  return 0;
}

SEC("usdt")
int BPF_USDT(on_gated, int i)
{
  __sync_fetch_and_add(&gated, 1);
  return 0;
}

SEC("usdt")
int BPF_USDT(on_site, int a, short b)
{
  __sync_fetch_and_add(&sites, 1);
  __sync_fetch_and_add(&arg_cnts, bpf_usdt_arg_cnt(ctx));
  __sync_fetch_and_add(&site_sum_a, a);
  __sync_fetch_and_add(&site_sum_b, b);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

// One map of each type real tools use beyond arrays/hashes: LRU (conntrack),
// LPM_TRIE (Cilium's prefix policies), STACK_TRACE (bcc profile/offcputime),
// BLOOM_FILTER (map_extra), QUEUE, DEVMAP + CPUMAP (XDP redirect), SOCKHASH,
// SK_STORAGE, CGRP_STORAGE and PERCPU_HASH (SOCKHASH only declared: libbpf
// creates every .maps map).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct lpm_key { u32 prefixlen; u32 addr; };

struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 128); __type(key, u32); __type(value, u64); } lru SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 64); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, struct lpm_key); __type(value, u32); } prefixes SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK_TRACE); __uint(max_entries, 128); __uint(key_size, sizeof(u32)); __uint(value_size, 32 * sizeof(u64)); } stacks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_BLOOM_FILTER); __uint(max_entries, 256); __type(value, u32); __uint(map_extra, 3); } seen SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 16); __type(value, u64); } q SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 8); __type(key, u32); __type(value, u32); } tx_ports SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_CPUMAP); __uint(max_entries, 4); __type(key, u32); __type(value, struct bpf_cpumap_val); } cpus SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SOCKHASH); __uint(max_entries, 16); __type(key, u32); __type(value, u64); } socks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, u64); } sk_bytes SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_CGRP_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, u64); } cg_events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 32); __type(key, u32); __type(value, u64); } per_cpu SEC(".maps");

u64 tp_runs = 0, bloom_hits = 0;

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  u64 one = 1, v = pid;
  struct lpm_key k = { .prefixlen = 32, .addr = pid };

  bpf_map_update_elem(&lru, &pid, &one, BPF_ANY);
  bpf_map_update_elem(&per_cpu, &pid, &one, BPF_ANY);
  if (bpf_map_lookup_elem(&prefixes, &k))
    return 0;
  bpf_get_stackid(ctx, &stacks, 0);
  if (bpf_map_peek_elem(&seen, &pid) == 0)
    __sync_fetch_and_add(&bloom_hits, 1);
  bpf_map_push_elem(&seen, &pid, 0);
  bpf_map_push_elem(&q, &v, BPF_EXIST);
  struct task_struct *t = bpf_get_current_task_btf();
  u64 *c = bpf_cgrp_storage_get(&cg_events, t->cgroups->dfl_cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (c)
    __sync_fetch_and_add(c, 1);
  __sync_fetch_and_add(&tp_runs, 1);
  return 0;
}

SEC("xdp")
int xdp_redirect_demo(struct xdp_md *ctx)
{
  if (ctx->rx_queue_index == 1)
    return bpf_redirect_map(&cpus, 0, XDP_PASS);
  return bpf_redirect_map(&tx_ports, ctx->ingress_ifindex, XDP_PASS);
}

SEC("cgroup_skb/ingress")
int count_sk_bytes(struct __sk_buff *skb)
{
  struct bpf_sock *sk = skb->sk;
  if (!sk)
    return 1;
  sk = bpf_sk_fullsock(sk);
  if (!sk)
    return 1;
  u64 *b = bpf_sk_storage_get(&sk_bytes, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
  if (b)
    __sync_fetch_and_add(b, skb->len);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";

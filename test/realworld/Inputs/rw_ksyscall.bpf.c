// ksyscall-style: kill(2) entry/exit (BPF_KSYSCALL) plus a tcpconnect-like
// kprobe/kretprobe pair; all need kprobes.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, u32);
  __type(value, struct sock *);
} sockets SEC(".maps");

u64 kills = 0, connects = 0;

SEC("ksyscall/kill")
int BPF_KSYSCALL(entry_kill, pid_t pid, int sig)
{
  __sync_fetch_and_add(&kills, 1);
  return 0;
}

SEC("kretsyscall/kill")
int BPF_KRETPROBE(exit_kill, int ret)
{
  return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tcp_v4_connect, struct sock *sk)
{
  u32 tid = bpf_get_current_pid_tgid();
  bpf_map_update_elem(&sockets, &tid, &sk, 0);
  return 0;
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(tcp_v4_connect_ret, int ret)
{
  u32 tid = bpf_get_current_pid_tgid();
  struct sock **skp = bpf_map_lookup_elem(&sockets, &tid);
  if (!skp)
    return 0;
  if (ret == 0 && BPF_CORE_READ(*skp, __sk_common.skc_dport))
    __sync_fetch_and_add(&connects, 1);
  bpf_map_delete_elem(&sockets, &tid);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

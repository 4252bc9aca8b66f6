// A struct_ops map: libbpf's loader generator cannot create it, so seal
// refuses the object naming the map.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("struct_ops/seal_init")
void BPF_PROG(seal_init, struct sock *sk) {}

SEC(".struct_ops")
struct tcp_congestion_ops seal_cc = {
    .init = (void *)seal_init,
    .name = "bpfseal_cc",
};

char LICENSE[] SEC("license") = "GPL";

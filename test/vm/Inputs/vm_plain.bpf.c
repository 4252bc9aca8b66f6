// An ordinary, unsigned BPF object for `bpftool prog load` in the enforce
// rows (test/vm/guest-suite.sh): what an administrator's tool loads when
// nobody sealed it. XDP, so that its audit events are told apart from
// libbpf's feature probes (socket filters) by program type.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int plain_xdp(struct xdp_md *ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";

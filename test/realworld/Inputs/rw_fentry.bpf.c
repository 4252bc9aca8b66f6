// fentry/fexit pair on do_unlinkat, as libbpf-bootstrap's fentry example, and
// an LSM hook.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

u64 unlinks = 0;

SEC("fentry/do_unlinkat")
int BPF_PROG(do_unlinkat, int dfd, struct filename *name)
{
  __sync_fetch_and_add(&unlinks, 1);
  return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(do_unlinkat_exit, int dfd, struct filename *name, long ret)
{
  bpf_printk("fexit: ret = %ld", ret);
  return 0;
}

// BPF LSM (Tetragon/systemd style): also a trampoline program.
SEC("lsm/file_open")
int BPF_PROG(restrict_open, struct file *file, int ret)
{
  return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// A task iterator (bpftool/pids-style): one line per task, read by cat-ing the
// pinned iterator link; the header line uses BPF_SEQ_PRINTF's .rodata format.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile int only_tgid = 0;   // --set: list only this process

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *task = ctx->task;

  if (!task)
    return 0;
  if (ctx->meta->seq_num == 0)
    BPF_SEQ_PRINTF(seq, "tgid pid comm\n");
  if (only_tgid && task->tgid != only_tgid)
    return 0;
  BPF_SEQ_PRINTF(seq, "%d %d %s\n", task->tgid, task->pid, task->comm);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

// runqlat-style scheduler latency with newer BPF features: tp_btf, task
// storage, bpf_loop callbacks, kfuncs (bpf_task_acquire/release), typed and
// typeless __ksym, CO-RE existence checks and a weak __kconfig.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;
#ifdef RW_KSYM_VAR
// Typed __ksym variable: the kernel resolves it through kallsyms, which lists
// no data symbols without CONFIG_KALLSYMS_ALL (this host): refused at load.
extern const struct rq runqueues __ksym;
#endif
// Typeless __ksym: libbpf 1.1 wants it in the *sealing* machine's kallsyms
// unless it is __weak; the loader looks it up in the target kernel either way.
#ifndef RW_KSYM_WEAK
extern const void schedule __ksym;
#else
extern const void schedule __ksym __weak;
#endif
extern unsigned int CONFIG_HZ __kconfig __weak;

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, u64);
} wakeup_ts SEC(".maps");

#define SLOTS 20
u64 hist[SLOTS] = {};
u64 switches = 0, acquired = 0, feature_bits = 0, hz = 0, sched_addr = 0;

struct loop_ctx { u64 delta; u64 slot; };

static int find_slot(u32 i, struct loop_ctx *c)
{
  if (c->delta <= 1)
    return 1;             // stop
  c->delta >>= 1;
  c->slot++;
  return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p)
{
  u64 *ts = bpf_task_storage_get(&wakeup_ts, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (ts)
    *ts = bpf_ktime_get_ns();
  return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
  struct task_struct *t = bpf_task_acquire(next);
  if (t) {
    __sync_fetch_and_add(&acquired, 1);
    u64 *ts = bpf_task_storage_get(&wakeup_ts, t, 0, 0);
    if (ts && *ts) {
      struct loop_ctx c = { .delta = (bpf_ktime_get_ns() - *ts) / 1000, .slot = 0 };
      bpf_loop(64, find_slot, &c, 0);
      if (c.slot < SLOTS)
        __sync_fetch_and_add(&hist[c.slot], 1);
      *ts = 0;
    }
    bpf_task_release(t);
  }
  __sync_fetch_and_add(&switches, 1);
  u64 bits = 0;
  if (bpf_core_field_exists(struct task_struct, __state))
    bits |= 1;
  if (bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_TASK_STORAGE))
    bits |= 2;
  if (bpf_core_type_exists(struct bpf_local_storage))
    bits |= 4;
  sched_addr = (u64)&schedule;     // resolved by the loader in the target kernel
#ifdef RW_KSYM_VAR
  if (bpf_this_cpu_ptr(&runqueues))
    bits |= 16;
#endif
  feature_bits = bits;
  hz = CONFIG_HZ;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

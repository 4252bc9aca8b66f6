// Newer map-value features that need the map's BTF in the loader: bpf_timer
// and bpf_spin_lock in map values, a kptr (task reference stashed with
// bpf_kptr_xchg), and bpf_for_each_map_elem with a callback.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define __kptr __attribute__((btf_type_tag("kptr")))
struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;

struct elem {
  struct bpf_timer timer;
  struct bpf_spin_lock lock;
  u64 counter;
  struct task_struct __kptr *last;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4);
  __type(key, u32);
  __type(value, struct elem);
} state SEC(".maps");

u64 timer_fired = 0, visited = 0, stashed = 0;

static int on_timer(void *map, u32 *key, struct elem *e)
{
  __sync_fetch_and_add(&timer_fired, 1);
  return 0;
}

static long visit(void *map, u32 *key, struct elem *e, void *ctx)
{
  __sync_fetch_and_add(&visited, 1);
  return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
  u32 key = bpf_get_current_pid_tgid() >> 32;
  struct elem zero = {}, *e;

  if (id != 110)     /* __NR_getppid on x86_64 */
    return 0;
  bpf_map_update_elem(&state, &key, &zero, BPF_NOEXIST);
  e = bpf_map_lookup_elem(&state, &key);
  if (!e)
    return 0;
  bpf_spin_lock(&e->lock);
  e->counter++;
  bpf_spin_unlock(&e->lock);
  if (bpf_timer_init(&e->timer, &state, 1 /* CLOCK_MONOTONIC */) == 0) {
    bpf_timer_set_callback(&e->timer, on_timer);
    bpf_timer_start(&e->timer, 1000, 0);
  }
  struct task_struct *t = bpf_task_acquire(bpf_get_current_task_btf());
  if (t) {
    t = bpf_kptr_xchg(&e->last, t);
    if (t)
      bpf_task_release(t);
    else
      __sync_fetch_and_add(&stashed, 1);
  }
  bpf_for_each_map_elem(&state, visit, NULL, 0);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";

// bpfseal's BPF LSM policy: only verified BPF may be loaded (policy/README.md,
// docs/SECURITY.md "Enforcement"). Sealed and signed like any bpfseal object and
// loaded only in kernel mode by `bpfseal enforce`; its configuration is baked
// with `bpfseal seal --set` (so the signature covers it), the per-boot state
// (allowed keyring serials, ids of its own links, its bpffs) is written once by
// `bpfseal enforce` into `bpfseal_state` and then frozen; the policy itself
// only counts lost audit events there.
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpfseal/enforce_event.h"

// ---- signed configuration (bpfseal seal --set NAME=VALUE) -------------------
enum bpfseal_policy_mode { enforce = 0, audit = 1 };
const volatile enum bpfseal_policy_mode mode = enforce;
// Keyring kinds whose verification counts as approval (system keyrings: only
// keys the kernel or its signed updates put there).
const volatile bool allow_builtin = false;
const volatile bool allow_secondary = false;
const volatile bool allow_platform = false;
// Whether `bpfseal enforce --keyring SERIAL` may allow-list per-boot keyrings
// (it locks them with KEYCTL_RESTRICT_KEYRING first).
const volatile bool allow_runtime_keyrings = true;
// Unsigned loads of these program types (bit = enum bpf_prog_type) are admitted
// when they come from the cgroup exempt_cgroup_id (0: no exemption at all).
const volatile __u64 exempt_prog_types = 0;
const volatile __u64 exempt_cgroup_id = 0;

// ---- per-boot state, written once by bpfseal enforce, then frozen -----------
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct bpfseal_enforce_state);
} bpfseal_state SEC(".maps");

// Signed syscall programs (loaders) admitted since enforcement started, by
// prog->aux (stable across the verifier's reallocations); removed when freed.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, __u8);
} bpfseal_loaders SEC(".maps");

// The syscall program each task is running (BPF_PROG_RUN), by prog->aux.
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, __u64);
} bpfseal_running SEC(".maps");

// Programs the load hook let through, until their first fd exists (then the
// PROG_LOADED event carries id and tag) or they are freed (verifier refused):
// prog->aux -> decision << 8 | rule.
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 1024);
  __type(key, __u64);
  __type(value, __u16);
} bpfseal_pending SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} bpfseal_audit SEC(".maps");

#define EPERM 1
#define FMODE_WRITE 0x2
#define MAY_WRITE 0x2
#define BPF_FS_MAGIC 0xcafe4a11

// 7.2/7.3: the kernel's verdict on the signature, recorded before the LSM hook.
struct bpf_prog_aux___sig {
  struct {
    __s32 keyring_serial;
    __u8 keyring_type;
    __u8 verdict;
  } sig;
} __attribute__((preserve_access_index));
enum {
  SIG_KEYRING_BUILTIN = 1,
  SIG_KEYRING_SECONDARY = 2,
  SIG_KEYRING_PLATFORM = 3,
  SIG_KEYRING_USER = 4,
  SIG_VERIFIED = 1
};
// union bpf_attr's signing fields (6.18+).
union bpf_attr___sig {
  struct {
    __u64 signature;
    __u32 signature_size;
    __s32 keyring_id;
  };
} __attribute__((preserve_access_index));

static __always_inline struct bpfseal_enforce_state *state(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&bpfseal_state, &zero);
}

static __always_inline void fill_task(struct bpfseal_enforce_event *e) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  e->ts_ns = bpf_ktime_get_boot_ns();
  e->pid = pid_tgid >> 32;
  e->uid = (__u32)bpf_get_current_uid_gid();
  e->cgroup_id = bpf_get_current_cgroup_id();
  bpf_get_current_comm(e->comm, sizeof e->comm);
}

// One event into the ring buffer.
static __always_inline void emit(struct bpfseal_enforce_event *e) {
  if (bpf_ringbuf_output(&bpfseal_audit, e, sizeof *e, 0)) {
    // Full (nobody reads, or a flood): the decision stands, the loss is counted.
    struct bpfseal_enforce_state *s = state();
    if (s)
      __sync_fetch_and_add(&s->dropped_events, 1);
  }
}

// Refusals return -EPERM in enforce mode; audit mode admits and says so.
static __always_inline int decide(struct bpfseal_enforce_event *e, bool admit, __u8 rule) {
  e->rule = rule;
  e->mode = mode;
  if (admit)
    e->decision = BPFSEAL_ADMITTED;
  else
    e->decision = mode == audit ? BPFSEAL_WOULD_REFUSE : BPFSEAL_REFUSED;
  emit(e);
  return admit || mode == audit ? 0 : -EPERM;
}

// The load's verdict for `prog`: logged, and remembered for the PROG_LOADED
// event when the load goes on to the verifier.
static __always_inline int decide_load(struct bpf_prog *prog, struct bpfseal_enforce_event *e,
                                       bool admit, __u8 rule) {
  int ret = decide(e, admit, rule);
  if (ret == 0) {
    __u64 key = (__u64)BPF_CORE_READ(prog, aux);
    __u16 v = (__u16)e->decision << 8 | rule;
    bpf_map_update_elem(&bpfseal_pending, &key, &v, BPF_ANY);
  }
  return ret;
}

static __always_inline bool serial_allowed(__s32 serial) {
  struct bpfseal_enforce_state *s = state();
  if (!s || !allow_runtime_keyrings || serial <= 0)
    return false;
  for (int i = 0; i < BPFSEAL_MAX_KEYRINGS; i++)
    if (s->keyrings[i] == serial)
      return true;
  return false;
}

SEC("lsm/bpf_prog_load")
int BPF_PROG(bpfseal_load, struct bpf_prog *prog, union bpf_attr *attr, struct bpf_token *token,
             bool kernel) {
  struct bpfseal_enforce_event e = {};
  fill_task(&e);
  e.kind = BPFSEAL_EV_PROG_LOAD;
  e.kernel = kernel;
  e.prog_type = BPF_CORE_READ(prog, type);
  e.insn_cnt = BPF_CORE_READ(prog, len);
  BPF_CORE_READ_STR_INTO(&e.name, prog, aux, name);
  e.sig_verdict = BPFSEAL_VERDICT_NONE;
  e.keyring = 0;

  // A program a BPF_PROG_TYPE_SYSCALL loader creates (bpf_sys_bpf): the loader
  // itself was admitted, so was what it loads (docs/SECURITY.md on the
  // syscall programs that existed before enforcement).
  if (kernel) {
    // Only while a loader admitted by this policy runs: a syscall program
    // loaded before enforcement started is not in bpfseal_loaders.
    __u64 *running = bpf_task_storage_get(&bpfseal_running, bpf_get_current_task_btf(), 0, 0);
    __u64 aux = running ? *running : 0;
    bool admitted = aux && bpf_map_lookup_elem(&bpfseal_loaders, &aux);
    return decide_load(prog, &e, admitted,
                       admitted ? BPFSEAL_RULE_VERIFIED_LOADER : BPFSEAL_RULE_UNKNOWN_LOADER);
  }

  union bpf_attr___sig *a = (void *)attr;
  if (bpf_core_field_exists(a->signature)) {
    e.signature = BPF_CORE_READ(a, signature) != 0;
    e.keyring = BPF_CORE_READ(a, keyring_id);
  }
  struct bpf_prog_aux___sig *aux = (void *)BPF_CORE_READ(prog, aux);
  if (bpf_core_field_exists(aux->sig)) {
    e.sig_verdict = BPF_CORE_READ(aux, sig.verdict);
    e.sig_keyring_type = BPF_CORE_READ(aux, sig.keyring_type);
    e.sig_keyring_serial = BPF_CORE_READ(aux, sig.keyring_serial);
  }

  if (e.signature) {
    // The kernel verified the signature before this hook (bpf_prog_load:
    // bpf_prog_verify_signature precedes security_bpf_prog_load; a failed
    // check never gets here). Which keyring verified it decides.
    bool allowed;
    if (e.sig_verdict != BPFSEAL_VERDICT_NONE) {
      if (e.sig_verdict != SIG_VERIFIED)
        return decide_load(prog, &e, false, BPFSEAL_RULE_UNSIGNED);
      allowed = (e.sig_keyring_type == SIG_KEYRING_BUILTIN && allow_builtin) ||
                (e.sig_keyring_type == SIG_KEYRING_SECONDARY && allow_secondary) ||
                (e.sig_keyring_type == SIG_KEYRING_PLATFORM && allow_platform) ||
                (e.sig_keyring_type == SIG_KEYRING_USER && serial_allowed(e.sig_keyring_serial));
    } else {
      // 6.18: no recorded verdict; keyring_id is what the caller asked for.
      // 0/1/2 are the system keyrings; special negative ids (session, user,
      // ...) depend on the caller and never count; a serial must be listed.
      allowed = (e.keyring == 0 && allow_builtin) || (e.keyring == 1 && allow_secondary) ||
                (e.keyring == 2 && allow_platform) || serial_allowed(e.keyring);
    }
    if (allowed && e.prog_type == BPF_PROG_TYPE_SYSCALL) {
      __u64 key = (__u64)BPF_CORE_READ(prog, aux);
      __u8 one = 1;
      bpf_map_update_elem(&bpfseal_loaders, &key, &one, BPF_ANY);
    }
    return decide_load(prog, &e, allowed,
                       allowed ? BPFSEAL_RULE_SIGNED : BPFSEAL_RULE_KEYRING_NOT_ALLOWED);
  }

  if (exempt_cgroup_id && e.cgroup_id == exempt_cgroup_id && e.prog_type < 64 &&
      (exempt_prog_types & (1ULL << e.prog_type)))
    return decide_load(prog, &e, true, BPFSEAL_RULE_EXEMPT);
  return decide_load(prog, &e, false, BPFSEAL_RULE_UNSIGNED);
}

SEC("lsm/bpf_prog_free")
int BPF_PROG(bpfseal_free, struct bpf_prog *prog) {
  __u64 key = (__u64)BPF_CORE_READ(prog, aux);
  bpf_map_delete_elem(&bpfseal_loaders, &key);
  bpf_map_delete_elem(&bpfseal_pending, &key);
  return 0;
}

// The first fd of a program the load hook let through (bpf_prog_new_fd, at
// the end of BPF_PROG_LOAD): the verifier ran, so its id and tag exist now.
// Later fds of it (BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET) log nothing.
SEC("lsm/bpf_prog")
int BPF_PROG(bpfseal_prog_fd, struct bpf_prog *prog) {
  __u64 key = (__u64)BPF_CORE_READ(prog, aux);
  __u16 *v = bpf_map_lookup_elem(&bpfseal_pending, &key);
  if (!v)
    return 0;
  struct bpfseal_enforce_event e = {};
  fill_task(&e);
  e.kind = BPFSEAL_EV_PROG_LOADED;
  e.decision = *v >> 8;
  e.rule = *v & 0xff;
  e.mode = mode;
  bpf_map_delete_elem(&bpfseal_pending, &key);
  e.prog_type = BPF_CORE_READ(prog, type);
  e.insn_cnt = BPF_CORE_READ(prog, len);
  e.prog_id = BPF_CORE_READ(prog, aux, id);
  bpf_core_read(&e.tag, sizeof e.tag, &prog->tag);
  BPF_CORE_READ_STR_INTO(&e.name, prog, aux, name);
  emit(&e);
  return 0;
}

// Which syscall program the current task runs: the only way user space makes
// loads with kernel == true.
SEC("fentry/bpf_prog_test_run_syscall")
int BPF_PROG(bpfseal_run_in, struct bpf_prog *prog) {
  __u64 *running = bpf_task_storage_get(&bpfseal_running, bpf_get_current_task_btf(), 0,
                                        BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (running)
    *running = (__u64)BPF_CORE_READ(prog, aux);
  return 0;
}

SEC("fexit/bpf_prog_test_run_syscall")
int BPF_PROG(bpfseal_run_out, struct bpf_prog *prog) {
  __u64 *running = bpf_task_storage_get(&bpfseal_running, bpf_get_current_task_btf(), 0, 0);
  if (running)
    *running = 0;
  return 0;
}

// Self-protection: no writable fd to the policy's state (the ring buffer's
// consumer page needs one to be read; writing it can only skip events).
SEC("lsm/bpf_map")
int BPF_PROG(bpfseal_mapfd, struct bpf_map *map, fmode_t fmode) {
  struct bpfseal_enforce_state *s = state();
  if (!s || !s->active || !(fmode & FMODE_WRITE))
    return 0;
  if ((unsigned long)map != (unsigned long)&bpfseal_state)
    return 0;
  struct bpfseal_enforce_event e = {};
  fill_task(&e);
  e.kind = BPFSEAL_EV_MAP_WRITE;
  // The name is known here (reading it through `map` would let the compiler
  // use &bpfseal_state instead, which the verifier rejects).
  __builtin_memcpy(e.name, "bpfseal_state", sizeof "bpfseal_state");
  return decide(&e, false, BPFSEAL_RULE_SELF_PROTECT);
}

static __always_inline bool own_link(struct bpfseal_enforce_state *s, __u32 id) {
  for (int i = 0; i < BPFSEAL_MAX_LINKS; i++)
    if (id && s->link_ids[i] == id)
      return true;
  return false;
}

static __always_inline bool own_map(struct bpfseal_enforce_state *s, __u32 id) {
  for (int i = 0; i < BPFSEAL_MAX_MAPS; i++)
    if (id && s->map_ids[i] == id)
      return true;
  return false;
}

// bpf(): no fd to the policy's links (detach, update) and no map update by id
// of its state. Covers calls from syscall programs too (bpf_sys_bpf).
SEC("lsm/bpf")
int BPF_PROG(bpfseal_bpfcmd, int cmd, union bpf_attr *attr, unsigned int size) {
  struct bpfseal_enforce_state *s = state();
  if (!s || !s->active)
    return 0;
  bool refuse = false;
  if (cmd == BPF_LINK_GET_FD_BY_ID)
    refuse = own_link(s, BPF_CORE_READ(attr, link_id));
  else if (cmd == BPF_MAP_GET_FD_BY_ID)
    refuse = own_map(s, BPF_CORE_READ(attr, map_id)) &&
             !(BPF_CORE_READ(attr, open_flags) & BPF_F_RDONLY);
  if (!refuse)
    return 0;
  struct bpfseal_enforce_event e = {};
  fill_task(&e);
  e.kind = BPFSEAL_EV_BPF_CMD;
  e.cmd = cmd;
  return decide(&e, false, BPFSEAL_RULE_SELF_PROTECT);
}

static __always_inline bool own_fs(struct bpfseal_enforce_state *s, struct super_block *sb) {
  return sb && BPF_CORE_READ(sb, s_magic) == BPF_FS_MAGIC && BPF_CORE_READ(sb, s_dev) == s->pin_dev;
}

// The policy's own bpffs (pins of its links): nothing may be opened
// (BPF_OBJ_GET), created, unlinked or renamed there; listing is fine.
SEC("lsm/inode_permission")
int BPF_PROG(bpfseal_pin, struct inode *inode, int mask) {
  struct bpfseal_enforce_state *s = state();
  if (!s || !s->active || !own_fs(s, BPF_CORE_READ(inode, i_sb)))
    return 0;
  bool is_root = BPF_CORE_READ(inode, i_ino) == s->pin_root_ino;
  if (is_root && !(mask & MAY_WRITE))
    return 0;
  struct bpfseal_enforce_event e = {};
  fill_task(&e);
  e.kind = BPFSEAL_EV_PIN;
  return decide(&e, false, BPFSEAL_RULE_SELF_PROTECT);
}

SEC("lsm/sb_umount")
int BPF_PROG(bpfseal_umount, struct vfsmount *mnt, int flags) {
  struct bpfseal_enforce_state *s = state();
  if (!s || !s->active || !own_fs(s, BPF_CORE_READ(mnt, mnt_sb)))
    return 0;
  struct bpfseal_enforce_event e = {};
  fill_task(&e);
  e.kind = BPFSEAL_EV_UMOUNT;
  return decide(&e, false, BPFSEAL_RULE_SELF_PROTECT);
}

char LICENSE[] SEC("license") = "GPL";

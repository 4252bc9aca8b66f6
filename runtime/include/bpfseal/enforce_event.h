// The records shared by the policy (enforce.bpf.c) and user space
// (runtime/src/enforce.cpp, bpfseal/enforce.hpp): the audit event in the ring buffer
// `bpfseal_audit` and the per-boot state in `bpfseal_state`. Fixed-size, no pointers; both sides
// compile this one header.
#ifndef BPFSEAL_ENFORCE_EVENT_H
#define BPFSEAL_ENFORCE_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BPFSEAL_MAX_KEYRINGS 8
#define BPFSEAL_MAX_LINKS 16
#define BPFSEAL_MAX_MAPS 8
#define BPFSEAL_SIGNER_LEN 192

enum bpfseal_event_kind {
  BPFSEAL_EV_PROG_LOAD = 1, // BPF_PROG_LOAD (lsm/bpf_prog_load)
  BPFSEAL_EV_MAP_WRITE = 2, // a writable fd to the policy's state (lsm/bpf_map)
  BPFSEAL_EV_BPF_CMD = 3,   // bpf() command on the policy's links/maps by id (lsm/bpf)
  BPFSEAL_EV_PIN = 4,       // access to the policy's bpffs (lsm/inode_permission)
  BPFSEAL_EV_UMOUNT = 5,    // unmount of the policy's bpffs (lsm/sb_umount)
  // A program the load hook let through got its first fd (lsm/bpf_prog in
  // bpf_prog_new_fd, after the verifier): its id and tag, which do not exist
  // yet at lsm/bpf_prog_load. Decision and rule repeat the load's.
  BPFSEAL_EV_PROG_LOADED = 6,
};

enum bpfseal_decision {
  BPFSEAL_ADMITTED = 0,
  BPFSEAL_REFUSED = 1,      // enforce mode: the caller got EPERM
  BPFSEAL_WOULD_REFUSE = 2, // audit mode: admitted, enforce mode would refuse
};

enum bpfseal_rule {
  BPFSEAL_RULE_SIGNED = 1,              // signature verified against an allowed keyring
  BPFSEAL_RULE_VERIFIED_LOADER = 2,     // created by a loader program (kernel == true)
  BPFSEAL_RULE_EXEMPT = 3,              // exempt program type from the exempt cgroup
  BPFSEAL_RULE_UNSIGNED = 4,            // no (verified) signature
  BPFSEAL_RULE_KEYRING_NOT_ALLOWED = 5, // verified, but by a keyring not allow-listed
  BPFSEAL_RULE_SELF_PROTECT = 6,        // touches the policy itself
  BPFSEAL_RULE_UNKNOWN_LOADER = 7,      // kernel == true from a syscall program it did not admit
};

#define BPFSEAL_VERDICT_NONE 0xff // the kernel records no verdict (6.18)

struct bpfseal_enforce_event {
  __u64 ts_ns; // CLOCK_BOOTTIME
  __u64 cgroup_id;
  __u32 pid;
  __u32 uid;
  __u32 prog_type;
  __u32 insn_cnt;
  __s32 keyring;            // attr->keyring_id as the caller passed it
  __s32 sig_keyring_serial; // 7.2+: the keyring that verified (prog->aux->sig)
  __u32 cmd;                // BPFSEAL_EV_BPF_CMD: the bpf() command
  __u8 kind;
  __u8 decision;
  __u8 rule;
  __u8 mode; // 0 enforce, 1 audit
  __u8 kernel;
  __u8 signature;
  __u8 sig_verdict; // 7.2+: enum bpf_sig_verdict; BPFSEAL_VERDICT_NONE without
  __u8 sig_keyring_type;
  char comm[16];
  char name[16];
  __u32 prog_id; // BPFSEAL_EV_PROG_LOADED: the program's id
  __u8 tag[8];   // BPFSEAL_EV_PROG_LOADED: prog->tag (bpftool's "tag")
  __u32 reserved;
};

struct bpfseal_enforce_state {
  __u32 active;       // self-protection on (set last, together with the rest)
  __u32 pin_dev;      // st_dev of the policy's bpffs (kernel encoding, new_encode_dev)
  __u64 pin_root_ino; // its root directory
  __s32 keyrings[BPFSEAL_MAX_KEYRINGS]; // allow-listed keyring serials (locked)
  __u32 link_ids[BPFSEAL_MAX_LINKS];
  __u32 map_ids[BPFSEAL_MAX_MAPS];
  __s32 policy_keyring; // the keyring that verified the policy itself
  __u32 reserved;
  // Audit events lost because the ring buffer was full (bpf_ringbuf_output
  // failed): the one field the policy itself writes (the map is frozen only
  // for bpf() writes), counted since the policy was loaded.
  __u64 dropped_events;
  // The key the kernel verified the policy with: its serial, found in the
  // verifying keyring by the key id the policy's signature names (0: not
  // found, e.g. system keyrings), and "key id <hex>, '<key description>'"
  // (NUL-terminated, truncated; bpfseal/enforce.hpp PolicyStatus::signer).
  __s32 signer_key;
  __u32 reserved2;
  char signer[BPFSEAL_SIGNER_LEN];
};

#endif

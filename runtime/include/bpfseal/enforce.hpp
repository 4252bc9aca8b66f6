// libbpfseal enforcement: start bpfseal's signed BPF LSM policy (policy/),
// report whether it is active, and read its audit events.
//
//   bpfseal::enforce::StartOptions so;
//   so.policy_path = "/etc/bpfseal/enforce.sealed.o";
//   so.keyring_id = 123456789;              // serial of the release keyring
//   auto started = bpfseal::enforce::start(so);   // kernel-verified, pinned, locked
//   auto st = bpfseal::enforce::status();
//   bpfseal::enforce::readAudit(false, [](const bpfseal_enforce_event &e) { ... });
//
// start() refuses before creating anything where enforcement cannot work (no
// BPF LSM, 'bpf' missing from lsm=, a kernel that cannot verify signatures, a
// keyring any process could write) and leaves nothing behind on any failure.
// Once started, the policy cannot be removed within this boot (docs/SECURITY.md).
#pragma once

#include "bpfseal/error.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bpfseal/enforce_event.h"

namespace bpfseal::enforce {

inline constexpr const char *kDefaultPinDir = "/run/bpfseal/enforce";

struct StartOptions {
  std::string policy_path;          // sealed, signed policy object
  int32_t keyring_id = 0;           // verifies the policy; a serial is also allow-listed (locked)
  std::vector<int32_t> allow_keyrings; // further keyring serials to lock and allow-list
  std::string pin_dir = kDefaultPinDir; // a bpffs of its own is mounted here
};

struct PolicyStatus {
  bool active = false;
  std::string mode;                          // "enforce" | "audit"
  std::map<std::string, std::string> config; // baked values (signed), by name
  std::vector<int32_t> keyrings;             // allow-listed serials (per boot, locked)
  int32_t policy_keyring = 0;                // the keyring that verified the policy
  // The key in that keyring the kernel verified the policy's signature with,
  // found by the key id the signature names: its serial (0: not found, e.g. a
  // system keyring bpfseal cannot search) and "key id <hex>, '<description>'".
  // The description is the kernel's "<certificate subject>: <key id>" when
  // the key was added with an empty one (keyctl padd asymmetric "" KR), else
  // whatever the adder chose; raw keyring bytes: escape before printing.
  int32_t signer_key = 0;
  std::string signer;
  std::vector<uint32_t> prog_ids, link_ids, map_ids;
  std::string pin_dir;
  bool self_protected = false;
  uint64_t dropped_events = 0; // audit events lost to a full ring buffer (policy-counted)
  std::string reason; // when !active: why (one line)
};

struct StartReport {
  PolicyStatus status;
  std::string verification; // the load report's description (kernel-verified ...)
  // Syscall programs that existed when enforcement started (what they load
  // is refused: rule unadmitted-loader, docs/SECURITY.md).
  std::vector<uint32_t> preexisting_syscall_progs;
};

// Why enforcement cannot work on this kernel, or ok().
Status preflight();
Result<StartReport> start(const StartOptions &options);
// The active policy of this boot, found by its programs (no files needed).
Result<PolicyStatus> status();
// Reads the audit ring buffer of the active policy; every event goes to
// `sink`. follow: keep waiting (until `sink` returns false or a signal).
// Reading consumes: two readers share one stream. `on_dropped` (optional)
// gets the policy's count of events lost to a full ring buffer whenever it
// is non-zero and changed: after the buffered events, and while following.
Status readAudit(bool follow, const std::function<bool(const bpfseal_enforce_event &)> &sink,
                 const std::function<void(uint64_t dropped)> &on_dropped = {});

// Names for the event's fields: kind ("prog_load"), decision ("refused"),
// rule ("signed-allowed-keyring"), program type ("syscall").
std::string eventKindName(uint8_t kind);
std::string decisionName(uint8_t decision);
std::string ruleName(uint8_t rule);
std::string progTypeName(uint32_t type);

} // namespace bpfseal::enforce

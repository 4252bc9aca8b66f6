// libbpfseal: load a sealed (and signed) BPF object, verified, and attach it.
//
//   auto obj = bpfseal::Object::openFile("app.sealed.o");
//   bpfseal::LoadOptions lo;
//   lo.mode = bpfseal::LoadMode::Userspace;
//   lo.trusted_certs = {"signer.crt"};
//   auto report = obj->load(lo);          // report->level, report->description
//   auto attached = obj->attachAll({});   // links owned by *obj
//   int counts = obj->mapFd("counts");
//
// An Object owns every fd it creates (programs, maps, links); destroying it
// detaches and closes everything. Nothing here throws: failures come back as
// bpfseal::Error (errno + one-line cause + hint). runtime/README.md has the
// modes and ownership rules; bpfseal/bpfseal.h is the same API for C.
#pragma once

#include "bpfseal/api.h"
#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bpfseal {

// ---- modes and verification levels ------------------------------------

enum class LoadMode {
  Auto,      // kernel, else (only with trust anchors) userspace; says so
  Kernel,    // the kernel checks the signature against keyring_id
  Userspace, // libbpfseal checks the CMS against trusted certificates
};
BPFSEAL_API Result<LoadMode>
parseLoadMode(std::string_view text); // "auto" | "kernel" | "userspace"
BPFSEAL_API std::string_view loadModeName(LoadMode mode);

// How the object's programs and maps are created once the signatures are
// verified. Loader: the signed loader program runs in the kernel (needs
// BPF_PROG_TYPE_SYSCALL and CO-RE at BPF_PROG_LOAD, 5.17+). Libbpf: libbpf
// relocates the sealed file's ELF against the kernel's BTF in user space and
// loads it (user-space verification only; for kernels that cannot run the
// loader, e.g. 5.10). Auto: Loader where the kernel can run it, else Libbpf.
enum class LoadPath { Auto, Loader, Libbpf };
Result<LoadPath> parseLoadPath(std::string_view text); // "auto" | "loader" | "libbpf"
std::string_view loadPathName(LoadPath path);

// What a successful load achieved, strongest first.
enum class VerificationLevel {
  KernelVerified,             // signature verified by the kernel at BPF_PROG_LOAD
  UserspaceVerifiedKernelHash,// CMS verified here; loader-check prologue re-checked map->sha in
                              // kernel
  UserspaceVerified,          // CMS verified here; metadata hash checked here only
};
// "kernel-verified", "user-space-verified+kernel-hash", "user-space-verified"
BPFSEAL_API std::string_view verificationLevelName(VerificationLevel level);

// Keyring ids: "session" (-3), "user" (-4), "builtin" (0), "secondary" (1),
// "platform" (2), ".bpf" (-9), or a number (a keyring serial).
BPFSEAL_API Result<int32_t> parseKeyring(std::string_view text);
BPFSEAL_API std::string keyringName(int32_t id); // "-3 session", "123456"

struct LoadOptions {
  LoadMode mode = LoadMode::Auto;
  std::vector<std::string> trusted_certs; // PEM/DER certificates (pinned keys)
  std::string ca_dir;                     // directory of CA certificates
  int32_t keyring_id = -3;                // kernel mode: session keyring (parseKeyring)
  // Verifier log for the object's programs. 0: none on the first try; after a
  // failure the loader is re-run with level 1 to show why.
  uint32_t log_level = 0;
  uint32_t log_size = 1u << 20;
  LoadPath path = LoadPath::Auto;
  // Libbpf path: kernel BTF for CO-RE when /sys/kernel/btf/vmlinux is missing.
  std::string btf_path;
  // Rollback protection: every object a key ever signed stays valid, so a
  // loader names what it wants. Checked before anything is created; the
  // name and version are the signed manifest's (seal --name / --version).
  std::string expect_name;   // empty: any object name
  uint64_t min_version = 0;  // refuse older signed object versions
};

// One phase of a load and its wall time (bpfseal load --timings).
struct LoadPhase {
  std::string name; // "kernel probe", "trust store", "signature check kernel-check", ...
  double ms = 0;
};

struct LoadReport {
  VerificationLevel level = VerificationLevel::UserspaceVerified;
  // One line in words, e.g. "kernel-verified (keyring -3 session, loader kernel-check: ...)"
  // or "user-space verified (cert CN=..., key id ...), metadata hash checked in kernel by
  // loader lc-6_18_44".
  std::string description;
  LoadMode mode = LoadMode::Auto; // requested
  std::string loader;             // loader that ran: "kernel-check", "lc-6_18_44"
  std::string fallback;           // non-empty when auto fell back: why
  std::string signer_subject;     // user-space modes: the verified signer
  std::string signer_key_id;
  int32_t keyring_id = 0;         // kernel mode
  std::string object_name;        // the signed manifest's object name and version
  uint64_t object_version = 0;
  double load_ms = 0;
  LoadPath path = LoadPath::Loader; // taken: Loader, or Libbpf (CO-RE in user space)
  std::string path_reason;          // why Libbpf was taken (requested, or what the kernel lacks)
  // Where load_ms went, in order: kernel probe, trust store, each signature
  // check, metadata map, loader load, loader run, collect fds, loader
  // teardown (attempts that failed over to another loader included).
  std::vector<LoadPhase> phases;
  // Objects sealed with alternative program groups (bpfseal seal --alternative):
  // the group kept (the first whose programs the kernel all accepted) and why
  // each group before it was not, e.g. "'fentry' refused (on_open_fentry EPERM)".
  // Programs of the other groups are closed and not in Object::programs().
  std::string alternative;
  std::string alternative_note;
};
// "user-space-verified (CO-RE in user space)" for the libbpf path, else the level's name.
std::string levelText(const LoadReport &report);

// ---- kernel support -----------------------------------------------------

struct KernelSupport {
  std::string release;            // uname -r, for display only
  bool signing_uapi = false;      // BPF_PROG_LOAD signature/keyring_id in BTF union bpf_attr
  bool exclusive_maps = false;    // BPF_MAP_CREATE excl_prog_hash works
  bool map_hash = false;          // struct bpf_map_info.hash (map->sha)
  int signed_load_errno = 0;      // errno of a junk-signature load
  bool verifies_signatures = false; // that errno was EBADMSG (the PKCS#7 verifier ran)
  std::optional<format::MapLayout> layout; // struct bpf_map as the loader-check prologue needs it
  std::string layout_error;       // why `layout` is empty
  bool tcx = false;               // BPF_TCX_INGRESS in enum bpf_attach_type
  // fentry/fexit/fmod_ret/lsm (BPF trampolines): errno of loading a trivial
  // fentry program, 0 if it loaded (some kernels refuse them with EPERM).
  int trampoline_errno = 0;
  // Can the kernel run a signed loader? errno of loading a trivial sleepable
  // BPF_PROG_TYPE_SYSCALL program (0: loaded; EINVAL before 5.14), and whether
  // BPF_PROG_LOAD knows core_relos (CO-RE in the kernel, 5.17+; E2BIG before).
  int syscall_prog_errno = 0;
  bool core_at_load = false;
  bool runsLoader() const { return syscall_prog_errno == 0 && core_at_load; }
  bool kprobe_pmu = false;        // /sys/bus/event_source/devices/kprobe
  bool uprobe_pmu = false;
};
// Probed once per process, then cached: one walk over the mapped vmlinux BTF
// for the handful of names it needs (no full BTF parse), then small loads and
// map creations (exclusive maps, syscall program, core_relos; signed-load
// errno, fentry). A load probes only the facts it decides with.
BPFSEAL_API const KernelSupport &kernelSupport();
// The loader-check variant of `sealed` whose layout equals the running
// kernel's struct bpf_map, or nullptr.
BPFSEAL_API const format::LoaderImage *matchingLoaderCheck(const format::SealedObject &sealed,
                                                           const KernelSupport &kernel);

// ---- attaching ------------------------------------------------------------

struct AttachOptions {
  // Program name -> target: an interface (xdp, tc, tcx; "eth0" or
  // "eth0:egress"), a cgroup directory (cgroup/*), "BINARY:FUNCTION" (uprobe),
  // "BINARY:PROVIDER:NAME[@PID]" (usdt; one uprobe per site of the probe).
  // A program of an alternative group the load did not keep may be named
  // (its target is unused); any other unknown name is ENOENT.
  std::map<std::string, std::string> targets;
  std::string default_cgroup = "/sys/fs/cgroup/unified";
  // Programs to leave alone (loaded, not attached).
  std::vector<std::string> skip;
};

struct AttachResult {
  std::string program;
  std::string section;
  bool attached = false;
  std::string description; // "raw_tracepoint sys_enter", or "not attached (needs ...)"
};

class Object;

// ---- owned kernel objects --------------------------------------------------

class Program {
public:
  const std::string &name() const { return info_.name; }
  const std::string &section() const { return info_.section; }
  const std::string &type() const { return info_.type; }
  const format::ProgramInfo &info() const { return info_; }
  int fd() const { return fd_; }

private:
  friend class Object;
  format::ProgramInfo info_;
  int fd_ = -1;
};

class Map {
public:
  const std::string &name() const { return info_.name; }
  const format::MapInfo &info() const { return info_; }
  int fd() const { return fd_; }

private:
  friend class Object;
  format::MapInfo info_;
  int fd_ = -1;
};

class Link {
public:
  const std::string &program() const { return program_; }
  const std::string &description() const { return description_; }
  int fd() const { return fd_; } // -1 for attachments without a link fd (legacy tc)

private:
  friend class Object;
  std::string program_;
  std::string description_;
  int fd_ = -1;
};

class Object {
public:
  struct Impl;

  // Parses the seal (format::readSealed: index, hashes, manifest); no kernel
  // access, no signature check yet. Bytes equal, every one, to those of an
  // earlier open in this process take that open's checked result (the checks
  // depend on the bytes alone; docs/SECURITY.md "Repeated loads").
  BPFSEAL_API static Result<Object> openFile(const std::string &path);
  BPFSEAL_API static Result<Object> openMemory(std::span<const uint8_t> bytes,
                                               std::string display_name = "<memory>");

  BPFSEAL_API Object(Object &&) noexcept;
  BPFSEAL_API Object &operator=(Object &&) noexcept;
  BPFSEAL_API ~Object();

  // Verifies according to `options.mode`, creates the metadata map, loads and
  // runs the loader, and takes ownership of the programs and maps it made.
  // On failure nothing is left behind. An Object loads once.
  BPFSEAL_API Result<LoadReport> load(const LoadOptions &options = {});

  // Attaches every program by its section (libbpf conventions). Programs that
  // need a target nobody gave, or no attachment at all, come back as
  // "not attached (needs ...)". On error everything attached by this call is
  // detached again.
  BPFSEAL_API Result<std::vector<AttachResult>> attachAll(const AttachOptions &options = {});
  // Attaches one program; `target` as in AttachOptions::targets.
  BPFSEAL_API Result<AttachResult> attach(std::string_view program, std::string_view target = {});
  BPFSEAL_API void detachAll();

  // Pins programs, maps and links under dir/{progs,maps,links}/NAME (bpffs;
  // mounts /sys/fs/bpf when missing). On error removes what it pinned.
  BPFSEAL_API Status pin(const std::string &dir);

  BPFSEAL_API const std::string &name() const;
  BPFSEAL_API const format::SealedObject &sealed() const;
  BPFSEAL_API bool loaded() const;
  BPFSEAL_API const std::vector<Program> &programs() const;
  BPFSEAL_API const std::vector<Map> &maps() const;
  BPFSEAL_API const std::vector<Link> &links() const;
  BPFSEAL_API const Program *findProgram(std::string_view name) const;
  BPFSEAL_API const Map *findMap(std::string_view name) const;
  // fd by name, -1 if there is none. Maps match their full name
  // ("app.rodata") or, for internal maps, the short one (".rodata").
  BPFSEAL_API int programFd(std::string_view name) const;
  BPFSEAL_API int mapFd(std::string_view name) const;

private:
  explicit Object(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace bpfseal

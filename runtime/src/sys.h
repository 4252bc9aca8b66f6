// The kernel-facing layer of libbpfseal: bpf() attribute layouts that libbpf
// 1.1 (and the 6.1 UAPI headers on this machine) do not know, an owning fd
// type, and the handful of raw commands that need those fields. Everything
// else goes through libbpf's low-level API.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace bpfseal::sys {

// An owned file descriptor: closed exactly once, movable, never copied.
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

private:
  int fd_ = -1;
};

// union bpf_attr, BPF_MAP_CREATE part, as of Linux 6.18.
struct MapCreateAttr {
  uint32_t map_type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t map_flags;
  uint32_t inner_map_fd;
  uint32_t numa_node;
  char map_name[16];
  uint32_t map_ifindex;
  uint32_t btf_fd;
  uint32_t btf_key_type_id;
  uint32_t btf_value_type_id;
  uint32_t btf_vmlinux_value_type_id;
  uint64_t map_extra;
  int32_t value_type_btf_obj_fd;
  int32_t map_token_fd;
  uint64_t excl_prog_hash;
  uint32_t excl_prog_hash_size;
};
static_assert(offsetof(MapCreateAttr, map_token_fd) == 76);
static_assert(offsetof(MapCreateAttr, excl_prog_hash) == 80);
static_assert(offsetof(MapCreateAttr, excl_prog_hash_size) == 88);

// union bpf_attr, BPF_PROG_LOAD part, as of Linux 6.18.
struct ProgLoadAttr {
  uint32_t prog_type;
  uint32_t insn_cnt;
  uint64_t insns;
  uint64_t license;
  uint32_t log_level;
  uint32_t log_size;
  uint64_t log_buf;
  uint32_t kern_version;
  uint32_t prog_flags;
  char prog_name[16];
  uint32_t prog_ifindex;
  uint32_t expected_attach_type;
  uint32_t prog_btf_fd;
  uint32_t func_info_rec_size;
  uint64_t func_info;
  uint32_t func_info_cnt;
  uint32_t line_info_rec_size;
  uint64_t line_info;
  uint32_t line_info_cnt;
  uint32_t attach_btf_id;
  uint32_t attach_prog_fd;
  uint32_t core_relo_cnt;
  uint64_t fd_array;
  uint64_t core_relos;
  uint32_t core_relo_rec_size;
  uint32_t log_true_size;
  int32_t prog_token_fd;
  uint32_t fd_array_cnt;
  uint64_t signature;
  uint32_t signature_size;
  int32_t keyring_id;
};
static_assert(offsetof(ProgLoadAttr, fd_array) == 120);
static_assert(offsetof(ProgLoadAttr, core_relos) == 128);
static_assert(offsetof(ProgLoadAttr, fd_array_cnt) == 148);
static_assert(offsetof(ProgLoadAttr, signature) == 152);
static_assert(offsetof(ProgLoadAttr, signature_size) == 160);
static_assert(offsetof(ProgLoadAttr, keyring_id) == 164);
static_assert(sizeof(ProgLoadAttr) == 168);
// The 6.12 size of union bpf_attr: a load that uses none of the signing
// fields is passed with this size so kernels without them accept it.
inline constexpr size_t kProgLoadAttrSizeNoSig = offsetof(ProgLoadAttr, fd_array_cnt);

// struct bpf_map_info as of Linux 6.18 (104 bytes, with hash/hash_size).
struct MapInfoWithHash {
  uint32_t type;
  uint32_t id;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t map_flags;
  char name[16];
  uint32_t ifindex;
  uint32_t btf_vmlinux_value_type_id;
  uint64_t netns_dev;
  uint64_t netns_ino;
  uint32_t btf_id;
  uint32_t btf_key_type_id;
  uint32_t btf_value_type_id;
  uint32_t btf_vmlinux_id;
  uint64_t map_extra;
  uint64_t hash;
  uint32_t hash_size;
};
static_assert(offsetof(MapInfoWithHash, hash) == 88);
static_assert(offsetof(MapInfoWithHash, hash_size) == 96);
static_assert(sizeof(MapInfoWithHash) == 104);

// Attach types newer than the 6.1 UAPI headers (values from 6.18 BTF).
inline constexpr uint32_t kAttachTcxIngress = 46;
inline constexpr uint32_t kAttachTcxEgress = 47;

inline constexpr int32_t kKeyringSession = -3;
inline constexpr int32_t kKeyringUser = -4;
inline constexpr int32_t kKeyringBpf = -9;

// The metadata map: one-entry array holding `metadata`, frozen. With
// `exclusive_to` set the map is created exclusive to that program digest
// (excl_prog_hash) and the kernel is asked for its SHA-256, which fills
// map->sha for a loader-check prologue; with `expect_hash` the returned hash
// is compared with SHA-256(metadata) (the reader's, not computed again) so a
// kernel that hashes something else fails here.
struct MetadataMapOptions {
  const format::Sha256 *exclusive_to = nullptr;
  // Asks the kernel for the frozen map's hash and compares it with this
  // (SHA-256 of the metadata, computed once by format::readSealed).
  const format::Sha256 *expect_hash = nullptr;
};
Result<UniqueFd> createMetadataMap(std::span<const uint8_t> metadata,
                                   const MetadataMapOptions &options);

struct LoaderLoadOptions {
  std::span<const uint8_t> insns;
  int metadata_map_fd = -1;
  bool bind_fd_array_cnt = false;              // kernel-check: fold the map into the signature
  std::span<const uint8_t> signature;          // empty: unsigned load
  int32_t keyring_id = kKeyringSession;
  char *log_buf = nullptr;                     // verifier log of the loader itself
  uint32_t log_size = 0;
};
// BPF_PROG_LOAD of a loader (BPF_PROG_TYPE_SYSCALL, sleepable). On failure
// the Error carries the kernel's errno unchanged.
Result<UniqueFd> loadLoader(const LoaderLoadOptions &options);

// Runs a loaded loader once with `ctx` (BPF_PROG_TEST_RUN). Returns the
// program's return value (the loader returns 0 or -errno).
Result<int> runLoader(int prog_fd, std::span<uint8_t> ctx);

// BPF_PROG_LOAD of a one-instruction socket filter with a junk signature:
// the errno tells whether the kernel has the signing UAPI (E2BIG: no),
// verifies signatures (EBADMSG) or was built without the verifier
// (EOPNOTSUPP). Returns that errno (0 if the kernel accepted it, which no
// kernel should).
int probeSignedLoadErrno();

// errno of loading a trivial sleepable BPF_PROG_TYPE_SYSCALL program (0 if
// it loaded): the program type every loader is. EINVAL before 5.14.
int probeSyscallProgErrno();

// Whether BPF_PROG_LOAD knows core_relos (the kernel does CO-RE relocation
// at load, which the loaders rely on): a load with one empty record fails
// with E2BIG on kernels without the fields (before 5.17), otherwise with EINVAL.
bool probeCoreAtLoad();

// Whether BPF_MAP_CREATE accepts excl_prog_hash (creates and closes a map).
bool probeExclusiveMaps();

// Whether keyring `id` can be named in BPF_PROG_LOAD's keyring_id: special
// ids (session, user, ...) must resolve without being created, serials must
// name an existing keyring. The system keyrings (0, 1, 2) and .bpf (-9) are
// not visible from user space and are assumed present. Error: EINVAL (as the
// kernel's) for a keyring that does not exist, ENOKEY for a key that is not a
// keyring (the kernel finds no signer key in it).
Status checkKeyring(int32_t id);

// Mounts a pseudo file system at `dir` when nothing of type `magic` is
// mounted there yet.
Status ensureMounted(const char *dir, const char *fstype, long magic);
Status ensureTracefs(std::string *root);   // /sys/kernel/tracing
Status ensureBpffs(const std::string &dir); // dir must be on bpffs (mounts /sys/fs/bpf)

} // namespace bpfseal::sys

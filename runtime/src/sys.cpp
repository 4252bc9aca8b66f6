#include "sys.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bpfseal::sys {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = fd;
}

namespace {

int sysBpf(int cmd, void *attr, size_t size) {
  long ret = ::syscall(__NR_bpf, cmd, attr, size);
  return ret < 0 ? -errno : static_cast<int>(ret);
}

uint64_t ptr(const void *p) { return reinterpret_cast<uintptr_t>(p); }

} // namespace

Result<UniqueFd> createMetadataMap(std::span<const uint8_t> metadata,
                                   const MetadataMapOptions &options) {
  if (metadata.empty() || metadata.size() > UINT32_MAX)
    return makeError(EINVAL, "metadata of " + std::to_string(metadata.size()) +
                                 " bytes cannot go into an array map");
  MapCreateAttr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = static_cast<uint32_t>(metadata.size());
  attr.max_entries = 1;
  std::memcpy(attr.map_name, "bpfseal.meta", sizeof("bpfseal.meta"));
  size_t size = offsetof(MapCreateAttr, map_token_fd);
  if (options.exclusive_to) {
    attr.excl_prog_hash = ptr(options.exclusive_to->data());
    attr.excl_prog_hash_size = 32;
    size = sizeof(MapCreateAttr);
  }
  int fd = sysBpf(BPF_MAP_CREATE, &attr, size);
  if (fd < 0)
    return makeError(-fd,
                     std::string("creating the metadata map") +
                         (options.exclusive_to ? " (exclusive)" : "") + " failed",
                     -fd == ENOMEM || -fd == EPERM
                         ? "run as root (CAP_BPF) and check RLIMIT_MEMLOCK"
                         : "");
  UniqueFd map(fd);
  const uint32_t key = 0;
  if (bpf_map_update_elem(map.get(), &key, metadata.data(), BPF_ANY) < 0)
    return makeError(errno, "writing the metadata map failed");
  if (bpf_map_freeze(map.get()) < 0)
    return makeError(errno, "freezing the metadata map failed");
  if (options.expect_hash) {
    format::Sha256 kernel_hash{};
    MapInfoWithHash info;
    std::memset(&info, 0, sizeof(info));
    info.hash = ptr(kernel_hash.data());
    info.hash_size = 32;
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(map.get(), &info, &len) < 0)
      return makeError(errno, "asking the kernel for the metadata map's hash failed");
    if (kernel_hash != *options.expect_hash)
      return makeError(EBADMSG,
                       "the kernel's hash of the metadata map differs from SHA-256(metadata)",
                       "the kernel hashes maps differently from what bpfseal expects");
  }
  return map;
}

Result<UniqueFd> loadLoader(const LoaderLoadOptions &options) {
  if (options.insns.empty() || options.insns.size() % 8)
    return makeError(EINVAL, "loader has " + std::to_string(options.insns.size()) +
                                 " bytes, not a whole number of instructions");
  ProgLoadAttr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SYSCALL;
  attr.insn_cnt = static_cast<uint32_t>(options.insns.size() / 8);
  attr.insns = ptr(options.insns.data());
  attr.license = ptr("Dual BSD/GPL");
  attr.prog_flags = BPF_F_SLEEPABLE;
  std::memcpy(attr.prog_name, "bpfseal_loader", sizeof("bpfseal_loader"));
  int fd_array[1] = {options.metadata_map_fd};
  attr.fd_array = ptr(fd_array);
  if (options.log_buf && options.log_size) {
    attr.log_level = 1;
    attr.log_buf = ptr(options.log_buf);
    attr.log_size = options.log_size;
  }
  size_t size = kProgLoadAttrSizeNoSig;
  if (options.bind_fd_array_cnt) {
    attr.fd_array_cnt = 1;
    size = sizeof(attr);
  }
  if (!options.signature.empty()) {
    attr.signature = ptr(options.signature.data());
    attr.signature_size = static_cast<uint32_t>(options.signature.size());
    attr.keyring_id = options.keyring_id;
    size = sizeof(attr);
  }
  int fd = sysBpf(BPF_PROG_LOAD, &attr, size);
  if (fd < 0)
    return makeError(-fd, "loading the loader program failed");
  return UniqueFd(fd);
}

Result<int> runLoader(int prog_fd, std::span<uint8_t> ctx) {
  LIBBPF_OPTS(bpf_test_run_opts, run);
  run.ctx_in = ctx.data();
  run.ctx_size_in = static_cast<uint32_t>(ctx.size());
  if (bpf_prog_test_run_opts(prog_fd, &run) < 0)
    return makeError(errno, "running the loader program (BPF_PROG_TEST_RUN) failed");
  return static_cast<int>(run.retval);
}

int probeSignedLoadErrno() {
  static const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
  ProgLoadAttr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insn_cnt = 2;
  attr.insns = ptr(insns);
  attr.license = ptr("GPL");
  attr.signature = ptr(junk);
  attr.signature_size = sizeof(junk);
  attr.keyring_id = kKeyringSession;
  int fd = sysBpf(BPF_PROG_LOAD, &attr, sizeof(attr));
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return -fd;
}

int probeSyscallProgErrno() {
  static const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  ProgLoadAttr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SYSCALL;
  attr.prog_flags = BPF_F_SLEEPABLE;
  attr.insn_cnt = 2;
  attr.insns = ptr(insns);
  attr.license = ptr("GPL");
  int fd = sysBpf(BPF_PROG_LOAD, &attr, kProgLoadAttrSizeNoSig);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return -fd;
}

bool probeCoreAtLoad() {
  static const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  static const uint8_t relo[16] = {}; // one struct bpf_core_relo, refused for want of BTF
  ProgLoadAttr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insn_cnt = 2;
  attr.insns = ptr(insns);
  attr.license = ptr("GPL");
  attr.core_relos = ptr(relo);
  attr.core_relo_cnt = 1;
  attr.core_relo_rec_size = sizeof(relo);
  int fd = sysBpf(BPF_PROG_LOAD, &attr, kProgLoadAttrSizeNoSig);
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  // A kernel without the fields refuses the non-zero tail of the attr with
  // E2BIG; one with them gets as far as checking the record (EINVAL).
  return -fd != E2BIG;
}

bool probeExclusiveMaps() {
  static const format::Sha256 digest = format::sha256(std::span<const uint8_t>());
  MapCreateAttr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 8;
  attr.max_entries = 1;
  attr.excl_prog_hash = ptr(digest.data());
  attr.excl_prog_hash_size = 32;
  int fd = sysBpf(BPF_MAP_CREATE, &attr, sizeof(attr));
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
}

Status checkKeyring(int32_t id) {
  constexpr int kKeyctlGetKeyringId = 0, kKeyctlDescribe = 6;
  if ((id >= 0 && id <= 2) || id == kKeyringBpf)
    return ok();
  // EINVAL for a keyring that does not exist: what BPF_PROG_LOAD itself
  // answers, only with the keyring named. Only answers that mean "no such
  // keyring" count; anything else (keyctl blocked by a seccomp filter, no
  // permission to view it) leaves the decision to the kernel at load time.
  auto missing = [](int err) { return err == ENOKEY || err == EKEYREVOKED || err == EKEYEXPIRED; };
  if (id < 0) {
    if (::syscall(__NR_keyctl, kKeyctlGetKeyringId, id, 0) < 0 && missing(errno))
      return makeError(EINVAL,
                       "keyring " + std::to_string(id) +
                           " (a special keyring id) does not exist for this process",
                       "create it (keyctl new_session) or pass --keyring with an existing keyring");
    return ok();
  }
  char desc[256] = {};
  long n = ::syscall(__NR_keyctl, kKeyctlDescribe, id, desc, sizeof(desc) - 1);
  int err = n < 0 ? errno : 0;
  if (n < 0 && !missing(err))
    return ok();
  if (n < 0)
    return makeError(
        EINVAL,
        "keyring " + std::to_string(id) + " does not exist (keyctl: " + errnoName(err) + ")",
        "list keyrings with 'keyctl show @s'; pass --keyring session|user|builtin|... or a keyring serial");
  if (std::strncmp(desc, "keyring;", 8) != 0)
    return makeError(
        ENOKEY,
        "key " + std::to_string(id) + " is not a keyring (" +
            std::string(desc, strnlen(desc, sizeof(desc))).substr(0, std::string(desc).find(';')) +
            ")",
        "pass the serial of the keyring that holds the certificate, not of the key");
  return ok();
}

Status ensureMounted(const char *dir, const char *fstype, long magic) {
  // Threads loading at once must not stack two mounts on one directory.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  struct statfs st{};
  if (::statfs(dir, &st) == 0 && static_cast<long>(st.f_type) == magic)
    return ok();
  if (::mkdir(dir, 0755) < 0 && errno != EEXIST)
    return makeError(errno, std::string("cannot create ") + dir + " to mount " + fstype);
  const char *options = std::strcmp(fstype, "bpf") == 0 ? "mode=0700" : nullptr;
  if (::mount(fstype, dir, fstype, 0, options) < 0)
    return makeError(errno,
                     std::string(fstype) + " is not mounted at " + dir + " and mounting it failed",
                     std::string("mount -t ") + fstype + " " + fstype + " " + dir);
  return ok();
}

Status ensureTracefs(std::string *root) {
  struct statfs st{};
  for (const char *dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    if (::statfs(dir, &st) == 0 && static_cast<long>(st.f_type) == TRACEFS_MAGIC) {
      *root = dir;
      return ok();
    }
  }
  Status mounted = ensureMounted("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC);
  if (!mounted)
    return mounted;
  *root = "/sys/kernel/tracing";
  return ok();
}

Status ensureBpffs(const std::string &dir) {
  struct statfs st{};
  if (::statfs(dir.c_str(), &st) == 0 && static_cast<long>(st.f_type) == BPF_FS_MAGIC)
    return ok();
  Status mounted = ensureMounted("/sys/fs/bpf", "bpf", BPF_FS_MAGIC);
  if (!mounted)
    return mounted;
  // dir may not exist yet: its nearest existing parent must be on bpffs.
  std::string probe = dir;
  while (!probe.empty() && ::statfs(probe.c_str(), &st) < 0) {
    auto slash = probe.find_last_of('/');
    probe = slash == std::string::npos || slash == 0 ? "/" : probe.substr(0, slash);
  }
  if (static_cast<long>(st.f_type) != BPF_FS_MAGIC)
    return makeError(EINVAL, "pin directory " + dir + " is not on a BPF file system",
                     "pin under /sys/fs/bpf (bpffs)");
  return ok();
}

} // namespace bpfseal::sys

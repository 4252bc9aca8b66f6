// The sealer's loaders, run on the running kernel: the metadata map is made
// the way the runtime makes it (exclusive to the loader's digest, written,
// frozen, hashed), the loader is loaded unsigned (this kernel has no signature
// verifier) with the map in fd_array[0], and run with BPF_PROG_TEST_RUN.
// Needs root and a kernel with the 6.18 map-hash UAPI; skips with the reason
// otherwise.
#include "bpfseal/btf_layout.h"
#include "bpfseal/format.h"
#include "bpfseal/prologue.h"
#include "bpfseal/sealer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

using namespace bpfseal;

namespace {

// bpf_attr for BPF_MAP_CREATE as of 6.18 (the 6.1 UAPI headers here lack
// excl_prog_hash); offsets: docs/KERNEL.md, "Signing UAPI and its offsets".
struct MapCreateAttr {
  uint32_t map_type, key_size, value_size, max_entries, map_flags, inner_map_fd, numa_node;
  char map_name[16];
  uint32_t map_ifindex, btf_fd, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
  uint64_t map_extra;
  int32_t value_type_btf_obj_fd, map_token_fd;
  uint64_t excl_prog_hash;
  uint32_t excl_prog_hash_size;
};
static_assert(offsetof(MapCreateAttr, excl_prog_hash) == 80);

struct MapInfoWithHash {
  uint32_t type, id, key_size, value_size, max_entries, map_flags;
  char name[16];
  uint32_t ifindex, btf_vmlinux_value_type_id;
  uint64_t netns_dev, netns_ino;
  uint32_t btf_id, btf_key_type_id, btf_value_type_id, btf_vmlinux_id;
  uint64_t map_extra, hash;
  uint32_t hash_size;
};
static_assert(offsetof(MapInfoWithHash, hash) == 88 && sizeof(MapInfoWithHash) == 104);

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd &&o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd &operator=(Fd &&o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0)
      close(fd);
  }
};

long sysBpf(int cmd, void *attr, size_t size) { return syscall(__NR_bpf, cmd, attr, size); }

// bpf_attr for BPF_PROG_LOAD as of 6.18 (fd_array_cnt is newer than
// libbpf 1.1's bpf_prog_load_opts).
struct ProgLoadAttr {
  uint32_t prog_type, insn_cnt;
  uint64_t insns, license;
  uint32_t log_level, log_size;
  uint64_t log_buf;
  uint32_t kern_version, prog_flags;
  char prog_name[16];
  uint32_t prog_ifindex, expected_attach_type, prog_btf_fd, func_info_rec_size;
  uint64_t func_info;
  uint32_t func_info_cnt, line_info_rec_size;
  uint64_t line_info;
  uint32_t line_info_cnt, attach_btf_id, attach_prog_fd, core_relo_cnt;
  uint64_t fd_array, core_relos;
  uint32_t core_relo_rec_size, log_true_size;
  int32_t prog_token_fd;
  uint32_t fd_array_cnt;
  uint64_t signature;
  uint32_t signature_size;
  int32_t keyring_id;
};
static_assert(offsetof(ProgLoadAttr, fd_array) == 120 &&
              offsetof(ProgLoadAttr, fd_array_cnt) == 148 && sizeof(ProgLoadAttr) == 168);

// Creates, fills, freezes and hashes a metadata map; returns -errno on failure.
Fd metadataMap(const std::vector<uint8_t> &metadata, const format::Sha256 *exclusive_to, int *err) {
  MapCreateAttr attr{};
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = uint32_t(metadata.size());
  attr.max_entries = 1;
  if (exclusive_to) {
    attr.excl_prog_hash = reinterpret_cast<uint64_t>(exclusive_to->data());
    attr.excl_prog_hash_size = 32;
  }
  Fd map(int(sysBpf(BPF_MAP_CREATE, &attr, sizeof attr)));
  if (map.fd < 0) {
    *err = errno;
    return map;
  }
  uint32_t key = 0;
  if (bpf_map_update_elem(map.fd, &key, metadata.data(), 0) || bpf_map_freeze(map.fd)) {
    *err = errno;
    return Fd();
  }
  format::Sha256 hash{};
  MapInfoWithHash info{};
  info.hash = reinterpret_cast<uint64_t>(hash.data());
  info.hash_size = 32;
  struct {
    uint32_t bpf_fd, info_len;
    uint64_t info;
  } get{uint32_t(map.fd), sizeof info, reinterpret_cast<uint64_t>(&info)};
  if (sysBpf(BPF_OBJ_GET_INFO_BY_FD, &get, sizeof get)) {
    *err = errno;
    return Fd();
  }
  EXPECT_EQ(hash, format::sha256(metadata)) << "kernel map hash differs from SHA-256(value)";
  *err = 0;
  return map;
}

struct Created {
  uint32_t max_entries = 0, value_size = 0;
  std::vector<uint8_t> value0; // array maps: the value at key 0
};

struct RunResult {
  int load_errno = 0;         // BPF_PROG_LOAD failed (e.g. verifier)
  std::optional<int> retval;  // the loader's return value when it ran
  std::string verifier;        // on load failure: the verifier's reason
  std::vector<uint8_t> ctx;
  std::vector<Created> maps;  // on success: what the loader created
  size_t programs = 0;
};

// Creates, fills, freezes and hashes a metadata map made exclusive to the
// all-zero digest (the first bypass in docs/KERNEL.md, "The two bypasses of the
// 6.18 scheme").
Fd zeroDigestMap(const std::vector<uint8_t> &metadata, int *err) {
  static const format::Sha256 zero{};
  return metadataMap(metadata, &zero, err);
}

std::vector<uint8_t> makeCtx(const format::Manifest &m) {
  std::vector<uint8_t> ctx(24 + 16 * m.maps.size() + 4 * m.programs.size(), 0);
  uint32_t sz = uint32_t(ctx.size());
  std::memcpy(ctx.data(), &sz, 4);
  return ctx;
}

RunResult runLoader(const format::LoaderImage &loader, int map_fd, std::vector<uint8_t> ctx) {
  RunResult r;
  int fd_array[1] = {map_fd};
  static char log[1 << 16];
  log[0] = 0;
  LIBBPF_OPTS(bpf_prog_load_opts, load, .prog_flags = BPF_F_SLEEPABLE, .fd_array = fd_array,
              .log_level = 1, .log_size = sizeof log, .log_buf = log);
  Fd prog(bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "bpfseal_test", "Dual BSD/GPL",
                        reinterpret_cast<const struct bpf_insn *>(loader.insns.data()),
                        loader.insns.size() / 8, &load));
  if (prog.fd < 0) {
    r.load_errno = errno;
    // The verifier's reason is the last non-empty line but one of its log.
    std::string text(log);
    std::vector<std::string> lines;
    for (size_t a = 0, b; a < text.size(); a = b + 1) {
      b = text.find('\n', a);
      if (b == std::string::npos)
        b = text.size();
      if (b > a)
        lines.push_back(text.substr(a, b - a));
    }
    for (size_t i = lines.size(); i-- > 0 && r.verifier.empty();)
      if (lines[i].find("processed") == std::string::npos)
        r.verifier = lines[i];
    return r;
  }
  LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx.data(), .ctx_size_in = uint32_t(ctx.size()));
  if (bpf_prog_test_run_opts(prog.fd, &run)) {
    r.load_errno = errno;
    return r;
  }
  r.retval = int(run.retval);
  // A syscall program's context is copied back: it now holds the fds.
  r.ctx = std::move(ctx);
  return r;
}

class SealerKernelTest : public ::testing::Test {
protected:
  void SetUp() override { setUpWith("core_minimal.bpf.o", {}); }

  // Seals `object` (in the test build dir, or an absolute path) with `sets`.
  void setUpWith(const std::string &object, std::vector<std::string> sets) {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root (BPF_PROG_LOAD of a syscall program)";
    auto layout = btf_layout::mapLayoutFromFile("/sys/kernel/btf/vmlinux");
    if (!layout)
      GTEST_SKIP() << "running kernel has no usable struct bpf_map layout: "
                   << layout.error().str();
    host_layout = *layout;
    auto elf = format::readFile(
        object[0] == '/' ? object : std::string(BPFSEAL_TEST_BIN_DIR) + "/" + object);
    ASSERT_TRUE(elf) << elf.error().str();
    sealer::SealOptions opts;
    opts.object_name = "core";
    opts.sets = std::move(sets);
    auto bytes = sealer::sealObject(*elf, opts);
    ASSERT_TRUE(bytes) << bytes.error().str();
    auto s = format::readSealed(*bytes);
    ASSERT_TRUE(s) << s.error().str();
    sealed = s.take();
  }

  const format::LoaderImage *hostVariant() const {
    for (const auto &l : sealed.loaders)
      if (l.info.kind == format::LoaderKind::LoaderCheck && l.info.layout == host_layout)
        return &l;
    return nullptr;
  }

  // Runs `loader` against `metadata` in a map exclusive (or not) to the
  // loader's digest, closing every fd the loader returned.
  RunResult run(const format::LoaderImage &loader, const std::vector<uint8_t> &metadata,
                bool exclusive, std::vector<uint8_t> ctx = {}) {
    format::Sha256 digest = format::sha256(loader.insns);
    int err = 0;
    Fd map = metadataMap(metadata, exclusive ? &digest : nullptr, &err);
    EXPECT_GE(map.fd, 0) << "metadata map: " << std::strerror(err);
    if (map.fd < 0)
      return {};
    if (ctx.empty())
      ctx = makeCtx(sealed.manifest);
    RunResult r = runLoader(loader, map.fd, ctx);
    if (r.retval && *r.retval == 0)
      collectAndCloseFds(r);
    return r;
  }

  // What the loader created, as the kernel reports it; every fd is closed.
  void collectAndCloseFds(RunResult &r) {
    const auto &m = sealed.manifest;
    for (size_t i = 0; i < m.maps.size(); ++i) {
      int32_t fd;
      std::memcpy(&fd, r.ctx.data() + 24 + 16 * i, 4);
      ASSERT_GT(fd, 2) << "map " << m.maps[i].name;
      Fd owned(fd);
      struct bpf_map_info info{};
      uint32_t len = sizeof info;
      ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0) << "map " << m.maps[i].name;
      EXPECT_STREQ(info.name, m.maps[i].name.substr(0, 15).c_str());
      const char *type = libbpf_bpf_map_type_str(bpf_map_type(info.type));
      EXPECT_EQ(std::string(type ? type : "?"), m.maps[i].type) << m.maps[i].name;
      Created c;
      c.max_entries = info.max_entries;
      c.value_size = info.value_size;
      if (info.type == BPF_MAP_TYPE_ARRAY) {
        std::vector<uint8_t> value(info.value_size);
        uint32_t key = 0;
        if (bpf_map_lookup_elem(fd, &key, value.data()) == 0)
          c.value0 = value;
      }
      r.maps.push_back(std::move(c));
    }
    for (size_t i = 0; i < m.programs.size(); ++i) {
      int32_t fd;
      std::memcpy(&fd, r.ctx.data() + 24 + 16 * m.maps.size() + 4 * i, 4);
      ASSERT_GT(fd, 2) << "program " << m.programs[i].name;
      Fd owned(fd);
      struct bpf_prog_info info{};
      uint32_t len = sizeof info;
      ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
      // Descriptor i is the manifest's program i: same name, same type.
      EXPECT_STREQ(info.name, m.programs[i].name.substr(0, 15).c_str());
      const char *type = libbpf_bpf_prog_type_str(bpf_prog_type(info.type));
      EXPECT_EQ(std::string(type ? type : "?"), m.programs[i].type) << m.programs[i].name;
      ++r.programs;
    }
  }

  // The maps are exactly as sealed: sizes from the manifest, .rodata bytes
  // from the ELF.
  void expectAsSealed(const RunResult &r) {
    const auto &m = sealed.manifest;
    ASSERT_EQ(r.maps.size(), m.maps.size());
    EXPECT_EQ(r.programs, m.programs.size());
    for (size_t i = 0; i < m.maps.size(); ++i) {
      EXPECT_EQ(r.maps[i].max_entries, m.maps[i].max_entries) << m.maps[i].name;
      EXPECT_EQ(r.maps[i].value_size, m.maps[i].value_size) << m.maps[i].name;
      if (m.maps[i].name == "core.rodata") {
        ASSERT_EQ(r.maps[i].value0.size(), 4u);
        EXPECT_EQ(r.maps[i].value0, sealed_rodata) << "sample_rate as sealed";
      }
    }
  }

  // A context whose map descriptors ask for other sizes and other initial
  // values (`fill` bytes), as a caller that no signature covers could.
  std::vector<uint8_t> hostileCtx(std::vector<uint8_t> &fill) {
    std::vector<uint8_t> ctx = makeCtx(sealed.manifest);
    fill.assign(4096, 0xab);
    for (size_t i = 0; i < sealed.manifest.maps.size(); ++i) {
      // Bigger user maps; internal maps (.rodata/.data/.bss) filled from
      // the caller's memory.
      uint32_t max_entries = sealed.manifest.maps[i].internal ? 0 : 4096;
      uint64_t initial_value =
          sealed.manifest.maps[i].internal ? reinterpret_cast<uint64_t>(fill.data()) : 0;
      std::memcpy(ctx.data() + 24 + 16 * i + 4, &max_entries, 4);
      std::memcpy(ctx.data() + 24 + 16 * i + 8, &initial_value, 8);
    }
    return ctx;
  }

  format::MapLayout host_layout;
  format::SealedObject sealed;
  std::vector<uint8_t> sealed_rodata{1, 0, 0, 0}; // core_minimal: sample_rate = 1
};

TEST_F(SealerKernelTest, HostVariantLoadsTheSealedPrograms) {
  const format::LoaderImage *lc = hostVariant();
  if (!lc)
    GTEST_SKIP() << "no built-in variant for this kernel's layout (not the 6.18.44 host)";
  RunResult r = run(*lc, sealed.metadata, true);
  ASSERT_EQ(r.load_errno, 0) << lc->info.name << ": " << std::strerror(r.load_errno);
  ASSERT_TRUE(r.retval);
  EXPECT_EQ(*r.retval, 0) << lc->info.name;
  expectAsSealed(r);
}

TEST_F(SealerKernelTest, KernelBtfVariantIsTheHostVariant) {
  // --kernel-btf of the running kernel adds nothing new where a built-in
  // layout matches, and otherwise gives a variant that loads here too.
  auto elf = format::readFile(std::string(BPFSEAL_TEST_BIN_DIR) + "/core_minimal.bpf.o");
  ASSERT_TRUE(elf);
  sealer::SealOptions opts;
  opts.object_name = "core";
  opts.builtin_layouts = false;
  opts.kernel_btf_files = {"/sys/kernel/btf/vmlinux"};
  auto bytes = sealer::sealObject(*elf, opts);
  ASSERT_TRUE(bytes) << bytes.error().str();
  auto s = format::readSealed(*bytes);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->loaders.size(), 2u);
  EXPECT_EQ(s->loaders[1].info.layout, host_layout);
  sealed = s.take();
  RunResult r = run(sealed.loaders[1], sealed.metadata, true);
  ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
  ASSERT_TRUE(r.retval);
  EXPECT_EQ(*r.retval, 0);
  expectAsSealed(r);
}

TEST_F(SealerKernelTest, ChangedMetadataIsRejectedByTheHashCheck) {
  const format::LoaderImage *lc = hostVariant();
  if (!lc)
    GTEST_SKIP() << "no built-in variant for this kernel's layout";
  for (size_t at : {size_t(0), sealed.metadata.size() / 2, sealed.metadata.size() - 1}) {
    std::vector<uint8_t> bad = sealed.metadata;
    bad[at] ^= 0x01;
    RunResult r = run(*lc, bad, true);
    ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
    ASSERT_TRUE(r.retval);
    EXPECT_EQ(*r.retval, int(format::PrologueVerdict::HashMismatch)) << "metadata byte " << at;
  }
}

TEST_F(SealerKernelTest, NonExclusiveMapIsRejected) {
  const format::LoaderImage *lc = hostVariant();
  if (!lc)
    GTEST_SKIP() << "no built-in variant for this kernel's layout";
  RunResult r = run(*lc, sealed.metadata, false);
  ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
  ASSERT_TRUE(r.retval);
  EXPECT_EQ(*r.retval, int(format::PrologueVerdict::NotExclusive));
}

TEST_F(SealerKernelTest, OtherLayoutsNeverSucceed) {
  int others = 0;
  for (const auto &l : sealed.loaders) {
    if (l.info.kind != format::LoaderKind::LoaderCheck || l.info.layout == host_layout)
      continue;
    ++others;
    RunResult r = run(l, sealed.metadata, true);
    if (r.load_errno) {
      std::printf("  %s: refused at load (%s): %s\n", l.info.name.c_str(),
                  std::strerror(r.load_errno), r.verifier.c_str());
      continue;
    }
    std::printf("  %s: ran, returned %d\n", l.info.name.c_str(), r.retval.value_or(1));
    ASSERT_TRUE(r.retval);
    EXPECT_NE(*r.retval, 0) << l.info.name << " ran to completion on the wrong kernel";
    EXPECT_EQ(*r.retval, int(format::PrologueVerdict::WrongLayout)) << l.info.name;
  }
  EXPECT_GE(others, 1);
}

// The host variant's instructions with its prologue rebuilt for `layout`:
// the variant the sealer would emit for a kernel with that layout.
format::LoaderImage variantFor(const format::SealedObject &sealed, const format::LoaderImage &host,
                               const format::MapLayout &layout) {
  format::PrologueSpec spec =
      format::prologueSpecFor(sealed.manifest, host.info, uint32_t(sealed.metadata.size()),
                              sealed.metadata_sha256);
  size_t own = format::buildPrologue(spec).size();
  spec.layout = layout;
  format::LoaderImage v = host;
  v.info.layout = layout;
  v.insns = format::buildPrologue(spec);
  v.insns.insert(v.insns.end(), host.insns.begin() + own, host.insns.end());
  return v;
}

// `frozen` is checked by value: a variant whose frozen offset is not the
// kernel's stops with verdict 1 before it reads exclusivity, even with a
// correctly made, exclusive metadata map. (Where the offset lands inside a
// pointer member the verifier refuses the load instead; it never succeeds.)
TEST_F(SealerKernelTest, WrongFrozenOffsetIsAWrongLayout) {
  const format::LoaderImage *lc = hostVariant();
  if (!lc)
    GTEST_SKIP() << "no built-in variant for this kernel's layout";
  int ran = 0;
  for (int delta : {1, 2, 3, -8, 8, -16}) {
    format::MapLayout moved = host_layout;
    moved.frozen_off = uint32_t(int(host_layout.frozen_off) + delta);
    RunResult r = run(variantFor(sealed, *lc, moved), sealed.metadata, true);
    if (r.load_errno) {
      std::printf("  frozen@%u: refused at load (%s): %s\n", moved.frozen_off,
                  std::strerror(r.load_errno), r.verifier.c_str());
      continue;
    }
    ++ran;
    ASSERT_TRUE(r.retval);
    EXPECT_EQ(*r.retval, int(format::PrologueVerdict::WrongLayout))
        << "frozen@" << moved.frozen_off;
  }
  EXPECT_GE(ran, 1)
      << "the verifier refused every offset: the frozen check itself was not exercised";
}

// The sealer refuses to emit variants for two layouts that differ only in
// where the exclusivity fields are: no value check could tell them apart.
// Here the second has excl_prog_sha on `ops` and no `excl`, everything else
// as this kernel's.
TEST_F(SealerKernelTest, IndistinguishableLayoutsAreRefusedAtSeal) {
  std::unique_ptr<struct btf, decltype(&btf__free)> vmlinux(btf__load_vmlinux_btf(), btf__free);
  ASSERT_TRUE(vmlinux);
  auto ops = btf_layout::memberOffset(vmlinux.get(), "bpf_map", BTF_KIND_STRUCT, "ops");
  ASSERT_TRUE(ops);
  format::MapLayout elsewhere = host_layout;
  elsewhere.excl_off = -1;
  elsewhere.excl_prog_sha_off = *ops;
  std::vector<sealer::KernelLayout> both{{"host", host_layout, "this kernel"},
                                         {"other", elsewhere, "other\x1b[31m"}};
  auto refused = sealer::checkDistinguishable(both);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().err, EINVAL);
  EXPECT_NE(refused.error().msg.find("could not tell them apart"), std::string::npos);
  EXPECT_EQ(refused.error().msg.find('\x1b'), std::string::npos) << "kernel labels are escaped";
  // Moving `frozen` too makes them distinguishable.
  both[1].layout.frozen_off += 8;
  EXPECT_TRUE(sealer::checkDistinguishable(both));
}

TEST_F(SealerKernelTest, KernelCheckLoaderRuns) {
  const format::LoaderImage *kc = sealed.findLoader("kernel-check");
  ASSERT_TRUE(kc);
  RunResult r = run(*kc, sealed.metadata, true);
  ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
  ASSERT_TRUE(r.retval);
  EXPECT_EQ(*r.retval, 0);
  expectAsSealed(r);
}

TEST_F(SealerKernelTest, CallerCannotOverrideMaxEntriesOrInitialValue) {
  for (const auto *loader : {sealed.findLoader("kernel-check"), hostVariant()}) {
    if (!loader)
      continue;
    std::vector<uint8_t> fill;
    RunResult r = run(*loader, sealed.metadata, true, hostileCtx(fill));
    ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
    ASSERT_TRUE(r.retval);
    EXPECT_EQ(*r.retval, 0) << loader->info.name;
    expectAsSealed(r);
  }
}

TEST_F(SealerKernelTest, WithoutThePrologueTheOverridesWouldApply) {
  // The control for the test above: libbpf's bare loader (the kernel-check
  // loader minus its 1 + 2 * maps prologue instructions) follows the
  // caller's max_entries and copies .rodata from the caller's memory.
  const format::LoaderImage *kc = sealed.findLoader("kernel-check");
  ASSERT_TRUE(kc);
  format::LoaderImage bare = *kc;
  size_t prologue = 8 * (1 + 2 * sealed.manifest.maps.size());
  bare.insns.erase(bare.insns.begin(), bare.insns.begin() + prologue);
  std::vector<uint8_t> fill;
  RunResult r = run(bare, sealed.metadata, true, hostileCtx(fill));
  ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
  ASSERT_TRUE(r.retval);
  ASSERT_EQ(*r.retval, 0);
  ASSERT_EQ(r.maps.size(), sealed.manifest.maps.size());
  for (size_t i = 0; i < r.maps.size(); ++i) {
    if (!sealed.manifest.maps[i].internal) {
      EXPECT_EQ(r.maps[i].max_entries, 4096u) << sealed.manifest.maps[i].name;
    }
    if (sealed.manifest.maps[i].name == "core.rodata") {
      EXPECT_EQ(r.maps[i].value0, (std::vector<uint8_t>{0xab, 0xab, 0xab, 0xab}));
    }
  }
}

TEST_F(SealerKernelTest, BakedValueReachesTheKernel) {
  setUpWith("core_minimal.bpf.o", {"sample_rate=0x01020304"});
  sealed_rodata = {4, 3, 2, 1};
  const format::LoaderImage *lc = hostVariant();
  if (!lc)
    GTEST_SKIP() << "no built-in variant for this kernel's layout";
  for (const auto *loader : {sealed.findLoader("kernel-check"), lc}) {
    RunResult r = run(*loader, sealed.metadata, true);
    ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno);
    ASSERT_TRUE(r.retval);
    EXPECT_EQ(*r.retval, 0);
    expectAsSealed(r);
  }
}

TEST_F(SealerKernelTest, DescriptorOrderIsManifestOrder) {
  // Four program types and five maps whose ELF order is not their name
  // order: descriptor i must be manifest entry i (checked by name and type).
  std::string dir = std::filesystem::temp_directory_path() / "bpfseal-order-XXXXXX";
  ASSERT_TRUE(mkdtemp(dir.data()));
  std::string obj = dir + "/order.bpf.o";
  std::string cmd = "clang-19 -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -c " +
                    std::string(BPFSEAL_TEST_SOURCE_DIR) + "/Inputs/seal_order.bpf.c -o " + obj +
                    " 2>/dev/null";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "clang-19 could not compile Inputs/seal_order.bpf.c";
  }
  setUpWith(obj, {});
  std::filesystem::remove_all(dir);
  ASSERT_EQ(sealed.manifest.programs.size(), 4u);
  ASSERT_EQ(sealed.manifest.maps.size(), 5u);
  for (const auto *loader : {sealed.findLoader("kernel-check"), hostVariant()}) {
    if (!loader)
      continue;
    RunResult r = run(*loader, sealed.metadata, true);
    ASSERT_EQ(r.load_errno, 0) << std::strerror(r.load_errno) << ": " << r.verifier;
    ASSERT_TRUE(r.retval);
    EXPECT_EQ(*r.retval, 0) << loader->info.name;
    EXPECT_EQ(r.programs, 4u);
    ASSERT_EQ(r.maps.size(), 5u);
  }
}

TEST_F(SealerKernelTest, ZeroDigestExclusiveMapIsRejected) {
  // The first bypass of the 6.18 scheme: a map "exclusive" to the all-zero
  // digest, bound with fd_array_cnt, passes the kernel's exclusivity check
  // on kernels that compare before computing the digest. The prologue's
  // excl_prog_sha check must refuse it (NotExclusive) although map->sha matches.
  const format::LoaderImage *lc = hostVariant();
  if (!lc)
    GTEST_SKIP() << "no built-in variant for this kernel's layout";
  int err = 0;
  Fd map = zeroDigestMap(sealed.metadata, &err);
  ASSERT_GE(map.fd, 0) << std::strerror(err);
  int fd_array[1] = {map.fd};
  ProgLoadAttr attr{};
  attr.prog_type = BPF_PROG_TYPE_SYSCALL;
  attr.insn_cnt = uint32_t(lc->insns.size() / 8);
  attr.insns = reinterpret_cast<uint64_t>(lc->insns.data());
  attr.license = reinterpret_cast<uint64_t>("Dual BSD/GPL");
  attr.prog_flags = BPF_F_SLEEPABLE;
  attr.fd_array = reinterpret_cast<uint64_t>(fd_array);
  attr.fd_array_cnt = 1;
  Fd prog(int(sysBpf(BPF_PROG_LOAD, &attr, sizeof attr)));
  if (prog.fd < 0) {
    if (errno == EACCES)
      GTEST_SKIP() << "this kernel checks the digest before binding (bypass closed): EACCES";
    FAIL() << "BPF_PROG_LOAD with fd_array_cnt: " << std::strerror(errno);
  }
  std::vector<uint8_t> ctx = makeCtx(sealed.manifest);
  LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx.data(), .ctx_size_in = uint32_t(ctx.size()));
  ASSERT_EQ(bpf_prog_test_run_opts(prog.fd, &run), 0) << std::strerror(errno);
  EXPECT_EQ(int(run.retval), int(format::PrologueVerdict::NotExclusive))
      << "the loader accepted a map exclusive to the zero digest";

  // Control: the same map and binding pass the kernel's own checks, so only
  // the prologue stands in the way (kernel-check has no exclusivity check
  // and runs to completion here).
  const format::LoaderImage *kc = sealed.findLoader("kernel-check");
  ASSERT_TRUE(kc);
  Fd map2 = zeroDigestMap(sealed.metadata, &err);
  ASSERT_GE(map2.fd, 0) << std::strerror(err);
  fd_array[0] = map2.fd;
  attr.insn_cnt = uint32_t(kc->insns.size() / 8);
  attr.insns = reinterpret_cast<uint64_t>(kc->insns.data());
  Fd prog2(int(sysBpf(BPF_PROG_LOAD, &attr, sizeof attr)));
  ASSERT_GE(prog2.fd, 0) << std::strerror(errno);
  RunResult r;
  r.ctx = makeCtx(sealed.manifest);
  LIBBPF_OPTS(bpf_test_run_opts, run2, .ctx_in = r.ctx.data(),
              .ctx_size_in = uint32_t(r.ctx.size()));
  ASSERT_EQ(bpf_prog_test_run_opts(prog2.fd, &run2), 0) << std::strerror(errno);
  ASSERT_EQ(int(run2.retval), 0);
  collectAndCloseFds(r);
  expectAsSealed(r);
}

} // namespace

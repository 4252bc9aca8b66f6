// The sealer offline: determinism, no kernel access (seccomp without bpf(),
// no /sys/kernel/btf), the prologue's shape in every loader, built-in
// layouts, --set through the API, and input validation.
#include "bpfseal/format.h"
#include "bpfseal/sealer.h"
#include "bpfseal/signing.h"

#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

using namespace bpfseal;

namespace {

std::vector<uint8_t> coreMinimal() {
  auto bytes = format::readFile(std::string(BPFSEAL_TEST_BIN_DIR) + "/core_minimal.bpf.o");
  EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().str());
  return bytes ? bytes.take() : std::vector<uint8_t>{};
}

sealer::SealOptions named(const char *name) {
  sealer::SealOptions o;
  o.object_name = name;
  return o;
}

format::SealedObject seal(const std::vector<uint8_t> &elf, sealer::SealOptions opts = {}) {
  if (opts.object_name.empty())
    opts.object_name = "core";
  auto bytes = sealer::sealObject(elf, opts);
  EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().str());
  if (!bytes)
    return {};
  auto s = format::readSealed(*bytes);
  EXPECT_TRUE(s) << (s ? "" : s.error().str());
  return s ? s.take() : format::SealedObject{};
}

struct Insn {
  uint8_t code, dst, src;
  int16_t off;
  int32_t imm;
};
Insn insnAt(const std::vector<uint8_t> &insns, size_t i) {
  struct bpf_insn raw;
  std::memcpy(&raw, insns.data() + 8 * i, 8);
  return {raw.code, raw.dst_reg, raw.src_reg, raw.off, raw.imm};
}

TEST(SealerSeal, Deterministic) {
  auto elf = coreMinimal();
  auto a = sealer::sealObject(elf, named("core"));
  auto b = sealer::sealObject(elf, named("core"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  // No name given: a fixed default, not libbpf's address-based one.
  auto c = sealer::sealObject(elf, {});
  auto d = sealer::sealObject(std::vector<uint8_t>(elf), {});
  ASSERT_TRUE(c && d);
  EXPECT_EQ(*c, *d);
  auto parsed = format::readSealed(*c);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->manifest.object_name, "obj");
}

// Seals in a child that cannot call bpf() (seccomp: EPERM) and, as root,
// does not see /sys/kernel/btf; returns the sealed bytes via a pipe.
std::vector<uint8_t> sealIsolated(const std::vector<uint8_t> &elf, bool *hid_btf) {
  int pipefd[2];
  EXPECT_EQ(pipe(pipefd), 0);
  int flag[2];
  EXPECT_EQ(pipe(flag), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    close(flag[0]);
    char hid = 0;
    if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
        mount("none", "/sys/kernel/btf", "tmpfs", 0, nullptr) == 0 &&
        access("/sys/kernel/btf/vmlinux", F_OK) != 0)
      hid = 1;
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
      _exit(10);
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    if (syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr) != -1 || errno != EPERM)
      _exit(11); // the filter is not in force
    if (write(flag[1], &hid, 1) != 1)
      _exit(12);
    auto out = sealer::sealObject(elf, named("core"));
    if (!out)
      _exit(13);
    for (size_t off = 0; off < out->size();) {
      ssize_t n = write(pipefd[1], out->data() + off, out->size() - off);
      if (n <= 0)
        _exit(14);
      off += size_t(n);
    }
    _exit(0);
  }
  close(pipefd[1]);
  close(flag[1]);
  char hid = 0;
  EXPECT_EQ(read(flag[0], &hid, 1), 1);
  close(flag[0]);
  *hid_btf = hid;
  std::vector<uint8_t> out;
  uint8_t buf[65536];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;)
    out.insert(out.end(), buf, buf + n);
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  return out;
}

TEST(SealerSeal, NeedsNoKernel) {
  std::vector<std::vector<uint8_t>> objects{coreMinimal()};
  // A CO-RE object (tp_btf + BPF_CORE_READ), when vmlinux.h and clang exist.
  std::string vmlinux_dir = std::string(BPFSEAL_TEST_BIN_DIR) + "/vmlinux";
  std::string dir = std::filesystem::temp_directory_path() / "bpfseal-seal-XXXXXX";
  ASSERT_TRUE(mkdtemp(dir.data()));
  std::string core = dir + "/core.bpf.o";
  std::string cmd = "clang-19 -target bpf -O2 -g -D__TARGET_ARCH_x86 -I" + vmlinux_dir + " -c " +
                    std::string(BPFSEAL_TEST_SOURCE_DIR) + "/Inputs/seal_core.bpf.c -o " + core +
                    " 2>/dev/null";
  bool have_core =
      std::filesystem::exists(vmlinux_dir + "/vmlinux.h") && std::system(cmd.c_str()) == 0;
  if (have_core) {
    auto bytes = format::readFile(core);
    ASSERT_TRUE(bytes);
    objects.push_back(bytes.take());
  } else {
    std::printf("  (no vmlinux.h or clang-19: CO-RE object not tried)\n");
  }
  std::filesystem::remove_all(dir);
  for (const auto &elf : objects) {
    auto expected = sealer::sealObject(elf, named("core"));
    ASSERT_TRUE(expected) << expected.error().str();
    bool hid_btf = false;
    std::vector<uint8_t> isolated = sealIsolated(elf, &hid_btf);
    if (!hid_btf)
      std::printf("  (not root: /sys/kernel/btf stayed visible; bpf() was still denied)\n");
    EXPECT_EQ(isolated, *expected);
  }
}

TEST(SealerSeal, EveryLoaderIsPrologueThenTheSameLoader) {
  auto s = seal(coreMinimal());
  size_t nmaps = s.manifest.maps.size();
  ASSERT_EQ(nmaps, 2u); // hits, core.rodata
  const format::LoaderImage *kc = s.findLoader("kernel-check");
  ASSERT_TRUE(kc);
  // kernel-check: r0 = 0, then for each map STX u32 max_entries / u64
  // initial_value into the context (r1), then libbpf's `r6 = r1`.
  size_t prologue = 1 + 2 * nmaps;
  Insn first = insnAt(kc->insns, 0);
  EXPECT_EQ(first.code, BPF_ALU64 | BPF_MOV | BPF_K);
  EXPECT_EQ(first.dst, 0);
  EXPECT_EQ(first.imm, 0);
  for (size_t i = 0; i < nmaps; ++i) {
    Insn w = insnAt(kc->insns, 1 + 2 * i), d = insnAt(kc->insns, 2 + 2 * i);
    EXPECT_EQ(w.code, BPF_STX | BPF_W | BPF_MEM);
    EXPECT_EQ(w.dst, 1);
    EXPECT_EQ(w.src, 0);
    EXPECT_EQ(w.off, int16_t(24 + 16 * i + 4));
    EXPECT_EQ(d.code, BPF_STX | BPF_DW | BPF_MEM);
    EXPECT_EQ(d.off, int16_t(24 + 16 * i + 8));
  }
  Insn body0 = insnAt(kc->insns, prologue);
  EXPECT_EQ(body0.code, BPF_ALU64 | BPF_MOV | BPF_X) << "libbpf's loader starts with r6 = r1";
  EXPECT_EQ(body0.dst, 6);
  EXPECT_EQ(body0.src, 1);
  std::vector<uint8_t> body(kc->insns.begin() + 8 * prologue, kc->insns.end());

  int lc_count = 0;
  for (const auto &l : s.loaders) {
    if (l.info.kind != format::LoaderKind::LoaderCheck)
      continue;
    ++lc_count;
    SCOPED_TRACE(l.info.name);
    ASSERT_GT(l.insns.size(), body.size());
    size_t own = (l.insns.size() - body.size()) / 8;
    EXPECT_TRUE(std::equal(body.begin(), body.end(), l.insns.end() - body.size()));
    EXPECT_TRUE(std::equal(kc->insns.begin(), kc->insns.begin() + 8 * prologue, l.insns.begin()))
        << "the zeroing comes first in every loader";
    // The metadata map pointer, the layout's offsets, the hash, the codes.
    Insn ld = insnAt(l.insns, prologue);
    EXPECT_EQ(ld.code, BPF_LD | BPF_DW | BPF_IMM);
    EXPECT_EQ(ld.src, BPF_PSEUDO_MAP_IDX);
    EXPECT_EQ(ld.imm, 0);
    std::vector<int> read_offsets;
    std::vector<int32_t> exit_codes;
    for (size_t i = prologue; i < own; ++i) {
      Insn in = insnAt(l.insns, i);
      bool load = in.code == (BPF_LDX | BPF_B | BPF_MEM) ||
                  in.code == (BPF_LDX | BPF_W | BPF_MEM) || in.code == (BPF_LDX | BPF_DW | BPF_MEM);
      if (load && in.src == 2)
        read_offsets.push_back(in.off);
      if (in.code == (BPF_ALU64 | BPF_MOV | BPF_K) && in.dst == 0 && in.imm != 0)
        exit_codes.push_back(in.imm);
      // No jump leaves the prologue except into the loader's first insn.
      if (BPF_CLASS(in.code) == BPF_JMP && BPF_OP(in.code) != BPF_EXIT &&
          BPF_OP(in.code) != BPF_CALL) {
        EXPECT_LE(int(i) + 1 + in.off, int(own));
      }
    }
    const auto &lay = l.info.layout;
    std::vector<int> want{int(lay.map_type_off),
                          int(lay.key_size_off),
                          int(lay.value_size_off),
                          int(lay.max_entries_off),
                          int(lay.frozen_off),
                          0,
                          8,
                          16,
                          24};
    if (lay.excl_off >= 0)
      want.push_back(lay.excl_off);
    want.push_back(int(lay.excl_prog_sha_off));
    EXPECT_EQ(read_offsets, want);
    using format::PrologueVerdict;
    EXPECT_EQ(exit_codes, (std::vector<int32_t>{int(PrologueVerdict::WrongLayout),
                                                int(PrologueVerdict::HashMismatch),
                                                int(PrologueVerdict::NotExclusive)}));
    // The hash words, in order, as the imm halves of plain ld_imm64 (src 0).
    std::vector<uint8_t> words;
    for (size_t i = prologue; i + 1 < own; ++i) {
      Insn in = insnAt(l.insns, i);
      if (in.code == (BPF_LD | BPF_DW | BPF_IMM) && in.src == 0) {
        for (int32_t half : {in.imm, insnAt(l.insns, i + 1).imm})
          for (int k = 0; k < 4; ++k)
            words.push_back(uint8_t(uint32_t(half) >> (8 * k)));
        ++i;
      }
    }
    EXPECT_EQ(words, std::vector<uint8_t>(s.metadata_sha256.begin(), s.metadata_sha256.end()))
        << "hash words in order";
  }
  EXPECT_EQ(lc_count, 4);
}

TEST(SealerSeal, BuiltinLayoutsAreTheMeasuredOnes) {
  const auto &layouts = sealer::builtinLayouts();
  ASSERT_EQ(layouts.size(), 4u);
  std::map<std::string, format::MapLayout> by_name;
  for (const auto &k : layouts) {
    EXPECT_LE(3 + k.name.size(), format::kMaxLoaderNameLen);
    EXPECT_EQ(k.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-"),
              std::string::npos);
    by_name[k.name] = k.layout;
  }
  EXPECT_EQ(by_name["6_18_15"], (format::MapLayout{-1, 280, 56, 60, 64, 68, 249}));
  EXPECT_EQ(by_name["7_2_13"], (format::MapLayout{32, 280, 64, 68, 72, 76, 249}));
  EXPECT_EQ(by_name["7_3_4"], (format::MapLayout{-1, 272, 56, 60, 64, 68, 241}));
  EXPECT_EQ(by_name["6_18_44"], (format::MapLayout{32, 288, 64, 68, 72, 76, 257}));
  // Every pair is told apart by a field the prologue checks by value.
  EXPECT_TRUE(sealer::checkDistinguishable(layouts));
}

TEST(SealerSeal, SetWritesTheSectionAndTheManifest) {
  auto elf = coreMinimal();
  sealer::SealOptions opts;
  opts.object_name = "core";
  opts.sets = {"sample_rate=0x7f"};
  auto bytes = sealer::sealObject(elf, opts);
  ASSERT_TRUE(bytes) << bytes.error().str();
  auto s = format::readSealed(*bytes);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->manifest.baked.size(), 1u);
  const auto &b = s->manifest.baked[0];
  EXPECT_EQ(b.name, "sample_rate");
  EXPECT_EQ(b.section, ".rodata");
  EXPECT_EQ(b.type, "unsigned int");
  EXPECT_EQ(b.value, "127");
  EXPECT_EQ(b.size, 4u);
  // The blob carries the same value: the 4 bytes appear in it, and not the
  // default.
  std::vector<uint8_t> want{0x7f, 0, 0, 0};
  auto blob = format::splitMetadata(s->metadata);
  ASSERT_TRUE(blob);
  auto it = std::search(blob->blob.begin(), blob->blob.end(), want.begin(), want.end());
  EXPECT_NE(it, blob->blob.end());
  // Sealing without the set gives another metadata hash.
  auto plain = seal(elf);
  EXPECT_NE(plain.metadata_sha256, s->metadata_sha256);
}

TEST(SealerSeal, RejectsWhatIsNotABpfObject) {
  EXPECT_EQ(sealer::sealObject({}, {}).error().err, ENOEXEC);
  std::vector<uint8_t> text{'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(sealer::sealObject(text, {}).error().err, ENOEXEC);
  auto elf = coreMinimal();
  std::vector<uint8_t> truncated(elf.begin(), elf.begin() + elf.size() / 2);
  auto r = sealer::sealObject(truncated, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, ENOEXEC);
  EXPECT_EQ(r.error().msg.find('\n'), std::string::npos);
  auto sealed = sealer::sealObject(elf, {});
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealer::sealObject(*sealed, {}).error().err, EEXIST);
}

TEST(SealerSeal, NoBuiltinLayoutsMeansKernelCheckOnly) {
  sealer::SealOptions opts;
  opts.builtin_layouts = false;
  auto s = seal(coreMinimal(), opts);
  ASSERT_EQ(s.loaders.size(), 1u);
  EXPECT_EQ(s.loaders[0].info.name, "kernel-check");
}

TEST(SealerSeal, GuestKernelBtfMatchesTheBuiltinLayouts) {
  // The guest kernels test/vm/fetch-kernel.sh caches: --kernel-btf of each
  // must give the built-in layout measured from it (same offsets, merged).
  const char *env = std::getenv("BPFSEAL_VM_CACHE");
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  std::string cache = env ? env : std::string(xdg ? xdg : "/var/cache") + "/bpfseal-vm";
  // fetch-kernel.sh caches each kind under kernels/<kind>-<suite>/.
  auto kernelDir = [&](const std::string &kind) -> std::string {
    std::error_code ec;
    for (const auto &d : std::filesystem::directory_iterator(cache + "/kernels", ec))
      if (d.path().filename().string().rfind(kind + "-", 0) == 0 &&
          std::filesystem::exists(d.path() / "vmlinux"))
        return (d.path() / "vmlinux").string();
    return "";
  };
  std::map<std::string, std::string> kinds{{"6.18", "6_18_15"},
                                           {"7.2", "7_2_13"},
                                           {"7.3", "7_3_4"}};
  int seen = 0;
  for (const auto &[kind, builtin] : kinds) {
    std::string vmlinux = kernelDir(kind);
    if (vmlinux.empty())
      continue;
    ++seen;
    auto k = sealer::layoutFromBtfFile(vmlinux);
    ASSERT_TRUE(k) << k.error().str();
    EXPECT_EQ(k->name, builtin) << "named after the banner's release";
    bool matched = false;
    for (const auto &b : sealer::builtinLayouts())
      if (b.name == builtin) {
        EXPECT_EQ(b.layout, k->layout) << vmlinux;
        matched = true;
      }
    EXPECT_TRUE(matched) << vmlinux;
  }
  for (const char *old : {"5.10", "6.1", "6.12"})
    if (std::string vmlinux = kernelDir(old); !vmlinux.empty()) {
      auto k = sealer::layoutFromBtfFile(vmlinux);
      ASSERT_FALSE(k);
      EXPECT_NE(k.error().msg.find("predates map hashes"), std::string::npos) << k.error().msg;
    }
  if (!seen)
    GTEST_SKIP() << "no guest kernels in " << cache << " (test/vm/fetch-kernel.sh fetches them)";
}

} // namespace

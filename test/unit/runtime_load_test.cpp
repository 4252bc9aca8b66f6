// libbpfseal against the running kernel (root, bpf): a byte-flip sweep over
// every signed section of a sealed object, 1000 failed loads of mixed kinds
// without leaking fds, programs or maps, and concurrent loads from 8 threads.
// Objects are sealed and signed in process (sealer + signing libraries).
#include "bpfseal/bpfseal.hpp"
#include "bpfseal/format.h"
#include "bpfseal/sealer.h"
#include "bpfseal/signing.h"
#include "bpfseal/timings.h"
#include "load_libbpf.h" // runtime/src: the libbpf path without the format-v1 refusal

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <linux/magic.h>
#include <map>
#include <set>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

using namespace bpfseal;

namespace {

std::string skipReason() {
  if (::geteuid() != 0)
    return "needs root";
  if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return "needs kernel BTF";
  const KernelSupport &ks = kernelSupport();
  if (!ks.exclusive_maps)
    return "kernel has no exclusive maps";
  return {};
}

#define SKIP_UNLESS_KERNEL()                                                                       \
  do {                                                                                             \
    if (std::string why = skipReason(); !why.empty())                                              \
      GTEST_SKIP() << why;                                                                         \
  } while (0)

int countFds() {
  int n = 0;
  DIR *d = ::opendir("/proc/self/fd");
  if (!d)
    return -1;
  while (dirent *e = ::readdir(d))
    n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

// Kernel objects these tests may leave behind: programs and maps created
// after a mark (ids only grow), with one of our names, that no other process
// holds through an fd (ctest runs other tests, which load the same objects,
// in parallel processes). A leak would be an object that outlives our fds.
const std::set<std::string> kOurProgs = {"count_enter", "rejected_prog", "rt_badtp",
                                         "bpfseal_loader"};
const std::set<std::string> kOurMaps = {"hits", "rejected_map", "bpfseal.meta"};

struct Mark {
  uint32_t prog = 0, map = 0;
};

Mark mark() {
  Mark m;
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;)
    m.prog = id;
  for (uint32_t id = 0; bpf_map_get_next_id(id, &id) == 0;)
    m.map = id;
  return m;
}

// prog_id/map_id of every BPF fd of every other process (/proc/PID/fdinfo).
void heldElsewhere(std::set<uint32_t> &progs, std::set<uint32_t> &maps) {
  std::string self = std::to_string(::getpid());
  std::error_code ec;
  for (const auto &proc : std::filesystem::directory_iterator("/proc", ec)) {
    std::string pid = proc.path().filename();
    if (pid == self || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    for (const auto &fd : std::filesystem::directory_iterator(proc.path() / "fdinfo", ec)) {
      std::ifstream in(fd.path());
      std::string line;
      while (std::getline(in, line)) {
        if (line.starts_with("prog_id:"))
          progs.insert(static_cast<uint32_t>(std::stoul(line.substr(8))));
        else if (line.starts_with("map_id:"))
          maps.insert(static_cast<uint32_t>(std::stoul(line.substr(7))));
      }
    }
  }
}

size_t ourObjectsSince(const Mark &m) {
  std::set<uint32_t> other_progs, other_maps;
  heldElsewhere(other_progs, other_maps);
  size_t n = 0;
  for (uint32_t id = m.prog; bpf_prog_get_next_id(id, &id) == 0;) {
    if (other_progs.count(id))
      continue;
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0)
      continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && kOurProgs.count(info.name))
      ++n;
    ::close(fd);
  }
  for (uint32_t id = m.map; bpf_map_get_next_id(id, &id) == 0;) {
    if (other_maps.count(id))
      continue;
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0)
      continue;
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    std::string name;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
      name = info.name;
    // Internal maps are named "<obj>.<sec>", truncated by the kernel.
    if (kOurMaps.count(name) || name.starts_with("core_min") || name.starts_with("rt_"))
      ++n;
    ::close(fd);
  }
  return n;
}

// The kernel frees programs and maps from deferred work after the last fd
// closes: wait until none of ours is left (or give up after 5 s).
size_t leftoverSince(const Mark &m) {
  size_t n = ourObjectsSince(m);
  for (int i = 0; i < 100 && n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    n = ourObjectsSince(m);
  }
  return n;
}

struct Fixture {
  std::string dir, cert, other_cert;
  std::vector<uint8_t> signed_minimal; // core_minimal, sealed + signed
  std::vector<uint8_t> signed_reject;  // verifier rejects its program (empty if no clang)
  std::vector<uint8_t> signed_badtp;   // attach fails: tracepoint does not exist
  std::string error;

  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bpfseal-rt-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    std::unique_ptr<signing::SigningKey> key;
    for (int i = 0; i < 2; ++i) {
      signing::KeygenOptions opts;
      opts.subject = i ? "CN=rt other" : "CN=rt unit signer";
      opts.bits = 2048;
      auto m = signing::generateSigningKey(opts);
      if (!m) {
        error = m.error().str();
        return;
      }
      std::string k = dir + "/k" + std::to_string(i) + ".pem",
                  c = dir + "/c" + std::to_string(i) + ".pem";
      std::ofstream(k) << m->key_pem;
      std::ofstream(c) << m->cert_pem;
      (i ? other_cert : cert) = c;
      if (i == 0) {
        auto loaded = signing::loadSigningKey(k, c);
        if (!loaded) {
          error = loaded.error().str();
          return;
        }
        key = loaded.take();
      }
    }
    signed_minimal = sealAndSign(std::string(BPFSEAL_TEST_BIN_DIR) + "/core_minimal.bpf.o", *key,
                                 "core_minimal");
    for (auto [name, out] :
         {std::pair{"rt_reject", &signed_reject}, std::pair{"rt_badtp", &signed_badtp}}) {
      std::string src = std::string(BPFSEAL_TEST_SOURCE_DIR) + "/Inputs/" + name + ".bpf.c";
      std::string obj = dir + "/" + name + ".bpf.o";
      std::string cmd =
          "/usr/lib/llvm-19/bin/clang -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -c " +
          src + " -o " + obj + " 2>/dev/null";
      if (std::system(cmd.c_str()) == 0)
        *out = sealAndSign(obj, *key, name);
    }
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  std::vector<uint8_t> sealAndSign(const std::string &path, const signing::SigningKey &key,
                                   const std::string &name,
                                   const std::vector<std::string> &sets = {}) {
    auto elf = format::readFile(path);
    if (!elf) {
      error = elf.error().str();
      return {};
    }
    sealer::SealOptions opts;
    opts.object_name = name;
    opts.sets = sets;
    auto sealed = sealer::sealObject(*elf, opts);
    if (!sealed) {
      error = sealed.error().str();
      return {};
    }
    auto signed_file = signing::signSealedFile(*sealed, key);
    if (!signed_file) {
      error = signed_file.error().str();
      return {};
    }
    return signed_file.take();
  }
};

const Fixture &fixture() {
  static Fixture f;
  return f;
}

LoadOptions userspace(const std::string &cert) {
  LoadOptions o;
  o.mode = LoadMode::Userspace;
  o.trusted_certs = {cert};
  return o;
}

// Section name -> (offset, size) of an ELF64 file, read directly: the sweep
// needs raw file offsets.
std::map<std::string, std::pair<size_t, size_t>> sections(const std::vector<uint8_t> &f) {
  auto u16 = [&](size_t o) {
    uint16_t v;
    std::memcpy(&v, &f[o], 2);
    return v;
  };
  auto u32 = [&](size_t o) {
    uint32_t v;
    std::memcpy(&v, &f[o], 4);
    return v;
  };
  auto u64 = [&](size_t o) {
    uint64_t v;
    std::memcpy(&v, &f[o], 8);
    return v;
  };
  size_t shoff = u64(0x28), shentsize = u16(0x3a), shnum = u16(0x3c), shstrndx = u16(0x3e);
  size_t stroff = u64(shoff + shstrndx * shentsize + 0x18);
  std::map<std::string, std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < shnum; ++i) {
    size_t h = shoff + i * shentsize;
    out[reinterpret_cast<const char *>(&f[stroff + u32(h)])] = {u64(h + 0x18), u64(h + 0x20)};
  }
  return out;
}

} // namespace

TEST(RuntimeLoad, LoadsAndCountsAndLeavesNothing) {
  SKIP_UNLESS_KERNEL();
  const Fixture &fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  Mark before = mark();
  int fds_before = countFds();
  {
    auto obj = Object::openMemory(fx.signed_minimal, "core_minimal");
    ASSERT_TRUE(obj) << obj.error().str();
    auto report = obj->load(userspace(fx.cert));
    ASSERT_TRUE(report) << report.error().str();
    EXPECT_EQ(report->level, VerificationLevel::UserspaceVerifiedKernelHash) << report->description;
    EXPECT_NE(report->description.find("metadata hash checked in kernel"), std::string::npos);
    auto attached = obj->attachAll();
    ASSERT_TRUE(attached) << attached.error().str();
    ASSERT_EQ(attached->size(), 1u);
    EXPECT_TRUE((*attached)[0].attached);
    EXPECT_EQ((*attached)[0].description, "raw_tracepoint sys_enter");
    int hits = obj->mapFd("hits");
    ASSERT_GT(hits, 0);
    // Internal maps answer to the short name too (libbpf truncates the object
    // name in "<obj>.rodata").
    const Map *rodata = obj->findMap(".rodata");
    ASSERT_NE(rodata, nullptr);
    EXPECT_TRUE(rodata->info().internal);
    EXPECT_EQ(obj->mapFd(rodata->name()), rodata->fd());
    for (int i = 0; i < 10; ++i)
      ::getppid();
    uint32_t key = 0;
    uint64_t count = 0;
    ASSERT_EQ(bpf_map_lookup_elem(hits, &key, &count), 0);
    EXPECT_GE(count, 10u); // sys_enter of every task: at least ours
    EXPECT_GT(ourObjectsSince(before), 0u); // the check below can see them
  }
  EXPECT_EQ(countFds(), fds_before);
  EXPECT_EQ(leftoverSince(before), 0u);
}

// A process that loads the same object again reuses two results: the
// reader's checks of the same bytes (checked_cache.h) and the signature
// verdict of the same trust store over the same signed bytes and signature
// (trust_cache.h). Neither may outlive what it depends on: other bytes are
// checked afresh, a changed signature is verified afresh (and refused), and a
// rewritten certificate file drops the verdicts of its store.
TEST(RuntimeLoad, RepeatedLoadsReuseChecksOnlyForTheSameBytesAndTrust) {
  SKIP_UNLESS_KERNEL();
  const Fixture &fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  std::string cert = fx.dir + "/rotating.pem";
  std::filesystem::copy_file(fx.cert, cert, std::filesystem::copy_options::overwrite_existing);
  std::string loader; // the loader the last successful load ran
  auto phaseNamed = [](const std::vector<std::string> &names, std::string_view part) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string &n) { return n.find(part) != std::string::npos; });
  };
  // Opens and loads `bytes`; returns the phase names (open and load) or the error.
  auto openAndLoad = [&](const std::vector<uint8_t> &bytes, const std::string &trusted,
                         std::vector<std::string> &names) -> Status {
    names.clear();
    loader.clear();
    std::vector<timings::Phase> opened;
    Result<Object> obj = makeError(EINVAL, "not opened");
    {
      timings::Collector collect(opened);
      obj = Object::openMemory(bytes, "repeated");
    }
    for (const timings::Phase &p : opened)
      names.push_back(p.name);
    if (!obj)
      return obj.takeError();
    auto report = obj->load(userspace(trusted));
    if (!report)
      return report.takeError();
    for (const LoadPhase &p : report->phases)
      names.push_back(p.name);
    loader = report->loader;
    return ok();
  };
  constexpr std::string_view kSameBytes = "the same bytes were checked by an earlier open";
  constexpr std::string_view kSameVerdict = "verified earlier in this process";
  Mark before = mark();
  int fds_before = countFds();
  std::vector<std::string> names;

  ASSERT_TRUE(openAndLoad(fx.signed_minimal, cert, names)); // a fresh trust store
  EXPECT_FALSE(phaseNamed(names, kSameVerdict));
  ASSERT_TRUE(openAndLoad(fx.signed_minimal, cert, names));
  EXPECT_TRUE(phaseNamed(names, kSameBytes));
  EXPECT_TRUE(phaseNamed(names, kSameVerdict));

  // The signature of the loader that runs, one byte changed in its DER (past
  // the slot's length word): new bytes, checked and verified afresh, refused.
  // (A change in another loader's signature is loaded by design: a load
  // checks the one signature it relies on; ByteFlipSweepRejectsEveryCopy.)
  ASSERT_FALSE(loader.empty());
  auto secs = sections(fx.signed_minimal);
  std::string chosen = format::kSignatureSectionPrefix + loader;
  ASSERT_TRUE(secs.count(chosen)) << chosen;
  std::vector<uint8_t> forged = fx.signed_minimal;
  forged[secs[chosen].first + 8 + 300] ^= 0x01;
  Status refused = openAndLoad(forged, cert, names);
  EXPECT_FALSE(refused);
  EXPECT_FALSE(phaseNamed(names, kSameVerdict));
  EXPECT_FALSE(phaseNamed(names, kSameBytes));

  // The certificate file rewritten with another signer's: the store is read
  // again and its verdicts are gone, so the same bytes are refused.
  std::filesystem::copy_file(fx.other_cert, cert,
                             std::filesystem::copy_options::overwrite_existing);
  Status rotated = openAndLoad(fx.signed_minimal, cert, names);
  ASSERT_FALSE(rotated);
  EXPECT_TRUE(phaseNamed(names, kSameBytes)); // the bytes' checks hold no trust
  EXPECT_FALSE(phaseNamed(names, kSameVerdict));
  EXPECT_NE(rotated.error().str().find("user-space verification failed"), std::string::npos)
      << rotated.error().str();
  EXPECT_EQ(countFds(), fds_before);
  EXPECT_EQ(leftoverSince(before), 0u);
}

// Every byte of the sealed file, flipped one at a time (format 2 signs every
// byte but the signatures, and a flipped signature byte fails its check):
// every copy must be refused by both load paths in user-space mode, before
// anything is created, and no fd, program or map may be left. The one
// exception is by design (issue 11): a load checks only the signature of the
// loader its path relies on (the loader path: the loader it runs; the libbpf
// path: kernel-check), so a flip in another loader's signature slot is
// loaded, and its report names the signature it verified, not that one
// ('bpfseal verify' checks every signature; test/runtime/signatures.test).
TEST(RuntimeLoad, ByteFlipSweepRejectsEveryCopy) {
  SKIP_UNLESS_KERNEL();
  const Fixture &fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  const std::vector<uint8_t> &orig = fx.signed_minimal;
  auto secs = sections(orig);
  auto sectionOf = [&](size_t at) -> std::string {
    for (const auto &[name, range] : secs)
      if (at >= range.first && at < range.first + range.second)
        return name;
    return "(headers and padding)";
  };
  Mark before = mark();
  int fds_before = countFds();
  LoadOptions opts = userspace(fx.cert);

  size_t copies = 0, accepted = 0, refused_at_open = 0, unused_signature = 0;
  std::map<std::string, size_t> per_section;
  std::vector<uint8_t> copy = orig;
  for (size_t i = 0; i < orig.size(); ++i) {
    copy[i] ^= 0xff;
    ++copies;
    std::string where = sectionOf(i);
    ++per_section[where.starts_with(format::kSignatureSectionPrefix) ? ".bpfseal.sig.*"
                  : where.starts_with(format::kLoaderSectionPrefix)  ? ".bpfseal.loader.*"
                                                                     : where];
    for (LoadPath path : {LoadPath::Loader, LoadPath::Libbpf}) {
      auto obj = Object::openMemory(copy, "flipped");
      if (!obj) { // the reader refused it: nothing to load on either path
        ++refused_at_open;
        break;
      }
      opts.path = path;
      auto report = obj->load(opts);
      if (report) {
        std::string verified = path == LoadPath::Libbpf ? "kernel-check" : report->loader;
        std::string flipped_sig =
            where.starts_with(format::kSignatureSectionPrefix)
                ? where.substr(std::string(format::kSignatureSectionPrefix).size())
                : "";
        bool names_verified =
            report->description.find("signature of loader " + verified) != std::string::npos;
        if (!flipped_sig.empty() && flipped_sig != verified && names_verified &&
            report->description.find(flipped_sig) == std::string::npos) {
          ++unused_signature;
          continue;
        }
        ++accepted;
        ADD_FAILURE() << "flipping byte " << i << " (" << where << ") still loaded (path "
                      << loadPathName(path) << "): " << report->description;
      }
    }
    copy[i] = orig[i];
  }
  std::string summary;
  for (const auto &[name, n] : per_section)
    summary += " " + name + ":" + std::to_string(n);
  RecordProperty("copies", std::to_string(copies));
  std::printf("byte-flip sweep: %zu copies (every byte of the file), %zu refused by the reader, "
              "%zu accepted, %zu loads with a flip in an unused loader's signature (not checked "
              "per load, by design);%s\n",
              copies, refused_at_open, accepted, unused_signature, summary.c_str());
  EXPECT_EQ(copies, orig.size());
  EXPECT_EQ(accepted, 0u);
  EXPECT_EQ(countFds(), fds_before);
  EXPECT_EQ(leftoverSince(before), 0u);
}

// 1000 failed loads of mixed kinds: none may leak an fd, a program or a map.
TEST(RuntimeLoad, ThousandFailedLoadsLeakNothing) {
  SKIP_UNLESS_KERNEL();
  const Fixture &fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  std::vector<uint8_t> tampered = fx.signed_minimal;
  {
    auto secs = sections(tampered);
    auto [moff, msize] = secs.at(format::kMetadataSection);
    tampered[moff + msize / 3] ^= 0x20;
  }
  std::vector<uint8_t> truncated(fx.signed_minimal.begin(),
                                 fx.signed_minimal.begin() + fx.signed_minimal.size() / 2);

  // Warm up one-time state (kernel probe, tracefs mount, OpenSSL tables).
  {
    auto obj = Object::openMemory(fx.signed_minimal);
    ASSERT_TRUE(obj);
    ASSERT_TRUE(obj->load(userspace(fx.cert)));
  }
  Mark before = mark();
  int fds_before = countFds();

  std::map<std::string, int> kinds;
  std::map<int, int> errnos;
  constexpr int kLoads = 1000;
  for (int i = 0; i < kLoads; ++i) {
    int kind = i % 7;
    std::string label;
    Error err;
    bool failed = false;
    auto record = [&](const Error &e) {
      failed = true;
      err = e;
    };
    auto openLoad = [&](std::span<const uint8_t> bytes, const LoadOptions &o) {
      auto obj = Object::openMemory(bytes, "leak");
      if (!obj)
        return record(obj.error());
      auto r = obj->load(o);
      if (!r)
        return record(r.error());
    };
    switch (kind) {
    case 0:
      label = "tampered-metadata";
      openLoad(tampered, userspace(fx.cert));
      break;
    case 1:
      label = "wrong-cert";
      openLoad(fx.signed_minimal, userspace(fx.other_cert));
      break;
    case 2: {
      label = "kernel-mode";
      LoadOptions o;
      o.mode = LoadMode::Kernel;
      openLoad(fx.signed_minimal, o); // EOPNOTSUPP here; ENOKEY where kernels verify
      break;
    }
    case 3: {
      label = "missing-keyring";
      LoadOptions o;
      o.mode = LoadMode::Auto;
      o.keyring_id = 2147483000;
      o.trusted_certs = {fx.other_cert};
      openLoad(fx.signed_minimal, o);
      break;
    }
    case 4:
      label = "truncated";
      openLoad(truncated, userspace(fx.cert));
      break;
    case 5:
      label = "verifier-rejects";
      if (fx.signed_reject.empty())
        continue;
      openLoad(fx.signed_reject, userspace(fx.cert));
      break;
    case 6: {
      label = "attach-fails";
      if (fx.signed_badtp.empty())
        continue;
      auto obj = Object::openMemory(fx.signed_badtp, "badtp");
      ASSERT_TRUE(obj);
      auto r = obj->load(userspace(fx.cert));
      ASSERT_TRUE(r) << r.error().str();
      auto a = obj->attachAll();
      if (!a)
        record(a.error());
      break;
    }
    }
    ASSERT_TRUE(failed) << label << " did not fail";
    ++kinds[label];
    ++errnos[err.err];
  }
  std::string summary;
  for (const auto &[k, n] : kinds)
    summary += " " + k + "=" + std::to_string(n);
  std::string errs;
  for (const auto &[e, n] : errnos)
    errs += " " + errnoName(e) + "=" + std::to_string(n);
  std::printf("failed loads:%s; errnos:%s\n", summary.c_str(), errs.c_str());
  EXPECT_GE(kinds.size(), 5u);
  EXPECT_EQ(countFds(), fds_before);
  EXPECT_EQ(leftoverSince(before), 0u);
}

// The same object loaded, attached, read and closed from 8 threads at once.
TEST(RuntimeLoad, ConcurrentLoadsFromEightThreads) {
  SKIP_UNLESS_KERNEL();
  const Fixture &fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  Mark before = mark();
  int fds_before = countFds();
  constexpr int kThreads = 8, kRounds = 10;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        auto obj = Object::openMemory(fx.signed_minimal, "concurrent");
        if (!obj) {
          errors[t] = obj.error().str();
          return;
        }
        // Odd threads take the libbpf path: its print hook is process-wide
        // (two concurrent loads there once made the hook call itself forever).
        LoadOptions opts = userspace(fx.cert);
        opts.path = t % 2 ? LoadPath::Libbpf : LoadPath::Loader;
        auto report = obj->load(opts);
        if (!report) {
          errors[t] = report.error().str();
          return;
        }
        if (report->path != opts.path) {
          errors[t] = "took the other path: " + report->description;
          return;
        }
        auto attached = obj->attachAll();
        if (!attached || attached->size() != 1 || !(*attached)[0].attached) {
          errors[t] = attached ? "not attached" : attached.error().str();
          return;
        }
        uint32_t key = 0;
        uint64_t v = 0;
        if (bpf_map_lookup_elem(obj->mapFd("hits"), &key, &v) != 0) {
          errors[t] = "map lookup failed";
          return;
        }
        ++ok;
      }
    });
  for (auto &th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_TRUE(errors[t].empty()) << "thread " << t << ": " << errors[t];
  EXPECT_EQ(ok.load(), kThreads * kRounds);
  EXPECT_EQ(countFds(), fds_before);
  EXPECT_EQ(leftoverSince(before), 0u);
}

// The leak checks above must be able to fail: an object that outlives its fd
// (here: a map named like ours, kept alive by a pin) is counted until unpinned.
TEST(RuntimeLoad, LeakCheckSeesAnObjectThatOutlivesItsFd) {
  SKIP_UNLESS_KERNEL();
  std::string bpffs = "/sys/fs/bpf";
  struct statfs st{};
  if (::statfs(bpffs.c_str(), &st) != 0 || st.f_type != BPF_FS_MAGIC)
    GTEST_SKIP() << "bpffs is not mounted at /sys/fs/bpf";
  Mark before = mark();
  int fds_before = countFds();
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hits", 4, 8, 1, nullptr);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(countFds(), fds_before + 1);
  std::string pin = bpffs + "/bpfseal-unit-leakcheck-" + std::to_string(::getpid());
  ASSERT_EQ(bpf_obj_pin(fd, pin.c_str()), 0);
  ::close(fd);
  EXPECT_EQ(ourObjectsSince(before), 1u);
  ::unlink(pin.c_str());
  EXPECT_EQ(leftoverSince(before), 0u);
}

// ---- the two paths: loader vs. libbpf (CO-RE in user space) ----------------

namespace {

// What the kernel holds for one program, independent of ids: type, tag,
// xlated instructions with map references as the map's name, and the maps.
struct HeldProgram {
  uint32_t type = 0;
  std::string tag;
  std::vector<std::string> insns;
  bool operator==(const HeldProgram &) const = default;
};

struct HeldMap {
  uint32_t type = 0, key_size = 0, value_size = 0, max_entries = 0, flags = 0;
  std::vector<uint8_t> first_value; // key 0 (array maps): .rodata holds the baked values
  bool operator==(const HeldMap &) const = default;
};

std::string mapNameById(uint32_t id) {
  int fd = bpf_map_get_fd_by_id(id);
  if (fd < 0)
    return "?map" + std::to_string(id);
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  bpf_obj_get_info_by_fd(fd, &info, &len);
  ::close(fd);
  return info.name;
}

HeldProgram heldProgram(int fd) {
  HeldProgram held;
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len))
    return held;
  std::vector<bpf_insn> insns(info.xlated_prog_len / sizeof(bpf_insn));
  uint32_t xlated_len = info.xlated_prog_len;
  info = {};
  info.xlated_prog_len = xlated_len;
  info.xlated_prog_insns = reinterpret_cast<uintptr_t>(insns.data());
  len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len))
    return held;
  held.type = info.type;
  held.tag = format::hex(std::span<const uint8_t>(info.tag, sizeof(info.tag)));
  for (size_t i = 0; i < insns.size(); ++i) {
    const bpf_insn &in = insns[i];
    char text[96];
    // The kernel dumps a map reference as the map's id (which differs per
    // load); name the map instead.
    if (in.code == (BPF_LD | BPF_IMM | BPF_DW) &&
        (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE) &&
        i + 1 < insns.size()) {
      std::snprintf(text, sizeof(text), "ld_imm64 r%d map %s + %d", in.dst_reg,
                    mapNameById(static_cast<uint32_t>(in.imm)).c_str(), insns[i + 1].imm);
      held.insns.push_back(text);
      ++i;
      continue;
    }
    std::snprintf(text, sizeof(text), "%02x %x %x %d %d", in.code, in.dst_reg, in.src_reg, in.off,
                  in.imm);
    held.insns.push_back(text);
  }
  return held;
}

HeldMap heldMap(int fd) {
  HeldMap held;
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len))
    return held;
  held = {info.type, info.key_size, info.value_size, info.max_entries, info.map_flags, {}};
  if (info.type == BPF_MAP_TYPE_ARRAY) {
    held.first_value.resize(info.value_size);
    uint32_t key = 0;
    if (bpf_map_lookup_elem(fd, &key, held.first_value.data()))
      held.first_value.clear();
  }
  return held;
}

} // namespace

// On a kernel with both paths (this host), the same sealed object loaded by
// the signed loader and by libbpf leaves the same programs (xlated
// instructions with maps by name, tags, types) and maps (definitions and
// .rodata contents, incl. baked values) in the kernel. vm_counter has a CO-RE
// relocation (task->tgid), relocated by the kernel on one path and by libbpf
// in user space on the other.
TEST(RuntimeLoad, LibbpfPathHoldsTheSameProgramsAsTheLoaderPath) {
  SKIP_UNLESS_KERNEL();
  if (!kernelSupport().runsLoader())
    GTEST_SKIP() << "this kernel cannot run the loader path";
  const Fixture &fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> objects = {
      {"core_minimal", fx.signed_minimal}};
  std::string counter = std::string(BPFSEAL_TEST_BIN_DIR) + "/vm/vm_counter.bpf.o";
  if (::access(counter.c_str(), R_OK) == 0) {
    auto key = signing::loadSigningKey(fx.dir + "/k0.pem", fx.cert);
    ASSERT_TRUE(key) << key.error().str();
    Fixture &mfx = const_cast<Fixture &>(fx);
    objects.push_back({"vm_counter", mfx.sealAndSign(counter, **key, "vm_counter")});
    ASSERT_FALSE(objects.back().second.empty()) << fx.error;
  }
  Mark before = mark();
  for (const auto &[name, file] : objects) {
    std::map<std::string, HeldProgram> progs[2];
    std::map<std::string, HeldMap> maps[2];
    for (int path = 0; path < 2; ++path) {
      auto obj = Object::openMemory(file, name);
      ASSERT_TRUE(obj) << obj.error().str();
      LoadOptions o = userspace(fx.cert);
      o.path = path ? LoadPath::Libbpf : LoadPath::Loader;
      LoadedFds libbpf_fds;
      if (path && obj->sealed().manifest.format_version < 2) {
        // A v1 object's ELF is not covered by its signature, so the public
        // path refuses it (asserted below); compare what libbpf creates from it.
        auto refused = obj->load(o);
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().err, EPROTONOSUPPORT) << refused.error().str();
        auto fds = loadElfWithLibbpf(file, obj->sealed().manifest, o);
        ASSERT_TRUE(fds) << fds.error().str();
        libbpf_fds = fds.take();
        const format::Manifest &m = obj->sealed().manifest;
        for (size_t i = 0; i < m.programs.size(); ++i)
          progs[path][m.programs[i].name] = heldProgram(libbpf_fds.progs[i].get());
        for (size_t i = 0; i < m.maps.size(); ++i)
          maps[path][m.maps[i].name] = heldMap(libbpf_fds.maps[i].get());
        continue;
      }
      auto report = obj->load(o);
      ASSERT_TRUE(report) << report.error().str();
      EXPECT_EQ(report->path, o.path);
      if (path) {
        EXPECT_EQ(levelText(*report), "user-space-verified (CO-RE in user space)");
      }
      for (const Program &p : obj->programs())
        progs[path][p.name()] = heldProgram(p.fd());
      for (const Map &m : obj->maps())
        maps[path][m.name()] = heldMap(m.fd());
    }
    ASSERT_FALSE(progs[0].empty());
    EXPECT_EQ(progs[0].size(), progs[1].size()) << name;
    for (const auto &[prog, held] : progs[0]) {
      const HeldProgram &other = progs[1][prog];
      EXPECT_EQ(held.type, other.type) << name << ":" << prog;
      EXPECT_EQ(held.insns, other.insns) << name << ":" << prog;
      // Tags are not compared: the kernel hashes the instructions as
      // submitted, and the two paths submit map references differently (the
      // loader BPF_PSEUDO_MAP_IDX with the fd_array index in imm, libbpf
      // BPF_PSEUDO_MAP_FD, whose imm the kernel zeroes before hashing);
      // measured: they differ, the xlated instructions do not.
      std::printf("%s:%s: %zu xlated insns equal on both paths (tag loader %s, libbpf %s)\n",
                  name.c_str(), prog.c_str(), held.insns.size(), held.tag.c_str(),
                  other.tag.c_str());
    }
    EXPECT_EQ(maps[0], maps[1]) << name;
  }
  EXPECT_EQ(leftoverSince(before), 0u);
}

// A baked __kconfig value (docs/FORMAT.md, "Seal-time configuration") on the
// libbpf path: LINUX_KERNEL_VERSION is computed by libbpf, so a value baked
// for this kernel gives the same .kconfig map as the loader path, and a value
// baked for another kernel is refused (ESTALE) leaving nothing behind.
TEST(RuntimeLoad, LibbpfPathAppliesAndChecksBakedKconfig) {
  SKIP_UNLESS_KERNEL();
  if (!kernelSupport().runsLoader())
    GTEST_SKIP() << "this kernel cannot run the loader path to compare with";
  const Fixture &fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  std::string obj = fx.dir + "/seal_kconfig.bpf.o";
  std::string cmd =
      "/usr/lib/llvm-19/bin/clang -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -c " +
      std::string(BPFSEAL_TEST_SOURCE_DIR) + "/Inputs/seal_kconfig.bpf.c -o " + obj;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  // libbpf's LINUX_KERNEL_VERSION: KERNEL_VERSION(major, minor, min(patch, 255)) of uname -r.
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  unsigned major = 0, minor = 0, patch = 0;
  ASSERT_EQ(std::sscanf(u.release, "%u.%u.%u", &major, &minor, &patch), 3) << u.release;
  unsigned version = (major << 16) + (minor << 8) + std::min(patch, 255u);
  auto key = signing::loadSigningKey(fx.dir + "/k0.pem", fx.cert);
  ASSERT_TRUE(key) << key.error().str();
  Fixture &mfx = const_cast<Fixture &>(fx);
  auto here =
      mfx.sealAndSign(obj, **key, "kcfg", {"LINUX_KERNEL_VERSION=" + std::to_string(version)});
  ASSERT_FALSE(here.empty()) << fx.error;
  auto other = mfx.sealAndSign(obj, **key, "kcfg",
                               {"LINUX_KERNEL_VERSION=" + std::to_string(version ^ 0x100)});
  ASSERT_FALSE(other.empty()) << fx.error;
  Mark before = mark();
  {
    auto loaded = Object::openMemory(here, "kcfg");
    ASSERT_TRUE(loaded) << loaded.error().str();
    LoadOptions o = userspace(fx.cert);
    o.path = LoadPath::Loader;
    ASSERT_TRUE(loaded->load(o));
    const Map *loader_kconfig = nullptr;
    for (const Map &m : loaded->maps())
      if (m.name().ends_with(".kconfig"))
        loader_kconfig = &m;
    ASSERT_NE(loader_kconfig, nullptr);
    HeldMap via_loader = heldMap(loader_kconfig->fd());

    auto opened = Object::openMemory(here, "kcfg");
    ASSERT_TRUE(opened);
    const format::Manifest &m = opened->sealed().manifest;
    auto fds = loadElfWithLibbpf(here, m, o);
    ASSERT_TRUE(fds) << fds.error().str();
    bool compared = false;
    for (size_t i = 0; i < m.maps.size(); ++i)
      if (m.maps[i].name.ends_with(".kconfig")) {
        EXPECT_EQ(heldMap(fds->maps[i].get()), via_loader);
        compared = true;
      }
    EXPECT_TRUE(compared);
  }
  {
    auto opened = Object::openMemory(other, "kcfg");
    ASSERT_TRUE(opened);
    auto fds = loadElfWithLibbpf(other, opened->sealed().manifest, userspace(fx.cert));
    ASSERT_FALSE(fds);
    EXPECT_EQ(fds.error().err, ESTALE) << fds.error().str();
    EXPECT_NE(fds.error().msg.find("LINUX_KERNEL_VERSION"), std::string::npos) << fds.error().str();
  }
  EXPECT_EQ(leftoverSince(before), 0u);
}

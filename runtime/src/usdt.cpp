// USDT attach, as libbpf's usdt.c does it, with the fds the signed loader
// made: the probe's sites come from the target binary's .note.stapsdt notes,
// each site's argument locations are parsed into a struct __bpf_usdt_spec
// (usdt.bpf.h) written into the object's __bpf_usdt_specs map, and each site
// gets a uprobe whose BPF cookie is the spec id (the sealed object's
// LINUX_HAS_BPF_COOKIE is true), with the probe's semaphore as the uprobe's
// reference counter. libbpf's own USDT manager needs a libbpf-loaded
// bpf_object (its program fd and map lookups), which a signed load has not.
#include "object_impl.h"

#include "bpfseal/internal/elf_image.h"
#include <bpf/bpf.h>

#include <gelf.h>
#include <libelf.h>
#include <linux/perf_event.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <unistd.h>

namespace bpfseal {
namespace {

// struct __bpf_usdt_arg_spec / __bpf_usdt_spec of <bpf/usdt.bpf.h>.
constexpr size_t kMaxArgs = 12;
struct UsdtArgSpec {
  uint64_t val_off = 0;
  uint32_t arg_type = 0; // 0 const, 1 register, 2 register deref
  int16_t reg_off = 0;
  bool arg_signed = false;
  int8_t arg_bitshift = 0;
};
struct UsdtSpec {
  UsdtArgSpec args[kMaxArgs];
  uint64_t usdt_cookie = 0;
  int16_t arg_cnt = 0;
};
static_assert(sizeof(UsdtArgSpec) == 16 && sizeof(UsdtSpec) == 208, "layout of usdt.bpf.h");

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Note strings come from the target binary: shown escaped, never raw.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 200)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return text.size() > 200 ? out + "..." : out;
}

struct Site {
  uint64_t offset = 0;     // file offset of the probe instruction
  uint64_t ref_ctr = 0;    // file offset of the semaphore, 0: none
  std::string args;
};

// x86-64 struct pt_regs offsets by register name (all widths).
int ptRegsOffset(std::string_view reg) {
  static const std::pair<const char *, int> kRegs[] = {
      {"rip", 128}, {"eip", 128}, {"rax", 80}, {"eax", 80},  {"ax", 80},   {"al", 80},
      {"rbx", 40},  {"ebx", 40},  {"bx", 40},  {"bl", 40},   {"rcx", 88},  {"ecx", 88},
      {"cx", 88},   {"cl", 88},   {"rdx", 96}, {"edx", 96},  {"dx", 96},   {"dl", 96},
      {"rsi", 104}, {"esi", 104}, {"si", 104}, {"sil", 104}, {"rdi", 112}, {"edi", 112},
      {"di", 112},  {"dil", 112}, {"rbp", 32}, {"ebp", 32},  {"bp", 32},   {"bpl", 32},
      {"rsp", 152}, {"esp", 152}, {"sp", 152}, {"spl", 152}};
  for (auto [name, off] : kRegs)
    if (reg == name)
      return off;
  // r8..r15 with d/w/b suffixes
  static const int kHigh[] = {72, 64, 56, 48, 24, 16, 8, 0}; // r8 .. r15
  if (reg.size() >= 2 && reg[0] == 'r') {
    std::string_view n = reg.substr(1);
    while (!n.empty() && (n.back() == 'd' || n.back() == 'w' || n.back() == 'b'))
      n.remove_suffix(1);
    int num = -1;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), num);
    if (ec == std::errc() && p == n.data() + n.size() && num >= 8 && num <= 15 &&
        reg.size() - 1 - n.size() <= 1)
      return kHigh[num - 8];
  }
  return -1;
}

bool parseInt(std::string_view s, int64_t &out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg)
    s.remove_prefix(1);
  int base = 10;
  if (s.starts_with("0x")) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return false;
  out = neg ? -int64_t(v) : int64_t(v);
  return true;
}

// One "SIZE@LOCATION" of an x86-64 stapsdt argument string.
Status parseArg(std::string_view text, UsdtArgSpec &arg) {
  size_t at = text.find('@');
  int64_t size = 0;
  if (at == std::string_view::npos || !parseInt(text.substr(0, at), size) ||
      (std::abs(size) != 1 && std::abs(size) != 2 && std::abs(size) != 4 && std::abs(size) != 8))
    return makeError(EINVAL, "USDT argument '" + printable(text) + "' has no size N@");
  arg.arg_signed = size < 0;
  arg.arg_bitshift = int8_t(64 - 8 * std::abs(size));
  std::string_view loc = text.substr(at + 1);
  int64_t v = 0;
  if (loc.starts_with("$")) {
    if (!parseInt(loc.substr(1), v))
      return makeError(EINVAL, "USDT argument '" + printable(text) + "': bad constant");
    arg.arg_type = 0;
    arg.val_off = uint64_t(v);
    return ok();
  }
  if (loc.starts_with("%")) {
    int off = ptRegsOffset(loc.substr(1));
    if (off < 0)
      return makeError(EOPNOTSUPP, "USDT argument '" + printable(text) + "': unknown register");
    arg.arg_type = 1;
    arg.reg_off = int16_t(off);
    return ok();
  }
  size_t open = loc.find("(%");
  if (open != std::string_view::npos && loc.back() == ')') {
    if (open > 0 && !parseInt(loc.substr(0, open), v))
      return makeError(EINVAL, "USDT argument '" + printable(text) + "': bad offset");
    int off = ptRegsOffset(loc.substr(open + 2, loc.size() - open - 3));
    if (off < 0)
      return makeError(EOPNOTSUPP, "USDT argument '" + printable(text) + "': unknown register");
    arg.arg_type = 2;
    arg.reg_off = int16_t(off);
    arg.val_off = uint64_t(open > 0 ? v : 0);
    return ok();
  }
  return makeError(EOPNOTSUPP,
                   "USDT argument '" + printable(text) +
                       "' has a location form bpfseal does not know",
                   "x86-64 forms: N@$imm, N@%reg, N@off(%reg)");
}

Result<UsdtSpec> parseSpec(const std::string &args) {
  UsdtSpec spec;
  size_t i = 0;
  while (i < args.size()) {
    while (i < args.size() && args[i] == ' ')
      ++i;
    if (i >= args.size())
      break;
    size_t end = args.find(' ', i);
    std::string_view tok =
        std::string_view(args).substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (spec.arg_cnt >= int16_t(kMaxArgs))
      return makeError(E2BIG, "USDT probe has more than 12 arguments");
    if (Status s = parseArg(tok, spec.args[spec.arg_cnt]); !s)
      return s.takeError();
    ++spec.arg_cnt;
    i = end == std::string::npos ? args.size() : end;
  }
  return spec;
}

// File offset of virtual address `addr` through the PT_LOAD segment holding it.
std::optional<uint64_t> fileOffset(Elf *elf, uint64_t addr, bool exec) {
  size_t n = 0;
  if (elf_getphdrnum(elf, &n) != 0)
    return std::nullopt;
  for (size_t i = 0; i < n; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, int(i), &ph) || ph.p_type != PT_LOAD || (exec && !(ph.p_flags & PF_X)))
      continue;
    if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_memsz)
      return addr - ph.p_vaddr + ph.p_offset;
  }
  return std::nullopt;
}

Result<std::vector<Site>> findSites(const std::string &path, const std::string &provider,
                                    const std::string &name) {
  auto bin = format::elf::openBinary(path, "find USDT " + provider + ":" + name);
  if (!bin)
    return bin.takeError();
  Elf *elf = bin->elf.get();
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0)
    return makeError(ENOEXEC, path + " has no section names");
  std::optional<uint64_t> base_addr;
  Elf_Scn *notes = nullptr;
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr sh;
    const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : nullptr;
    if (n && std::string_view(n) == ".stapsdt.base")
      base_addr = sh.sh_addr;
    if (n && std::string_view(n) == ".note.stapsdt" && sh.sh_type == SHT_NOTE)
      notes = scn;
  }
  if (!notes)
    return makeError(ENOENT, path + " has no USDT probes (no .note.stapsdt section)",
                     "build it with <sys/sdt.h> probes (DTRACE_PROBE*/STAP_PROBE*)");
  std::vector<Site> sites;
  Elf_Data *data = elf_getdata(notes, nullptr);
  GElf_Nhdr nh;
  size_t off = 0, name_off = 0, desc_off = 0;
  while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
    const char *d = static_cast<const char *>(data->d_buf);
    if (nh.n_type != 3 || nh.n_namesz != 8 || std::memcmp(d + name_off, "stapsdt", 8) != 0 ||
        nh.n_descsz < 27)
      continue;
    uint64_t pc, note_base, sema;
    std::memcpy(&pc, d + desc_off, 8);
    std::memcpy(&note_base, d + desc_off + 8, 8);
    std::memcpy(&sema, d + desc_off + 16, 8);
    std::string_view rest(d + desc_off + 24, nh.n_descsz - 24);
    size_t a = rest.find('\0'), b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
    if (b == std::string_view::npos)
      continue;
    std::string_view prov = rest.substr(0, a), pname = rest.substr(a + 1, b - a - 1);
    std::string_view args = rest.substr(b + 1);
    args = args.substr(0, args.find('\0'));
    if (prov != provider || pname != name)
      continue;
    if (base_addr) // prelinked: notes record the link-time base
      pc += *base_addr - note_base, sema += sema ? *base_addr - note_base : 0;
    Site s;
    auto po = fileOffset(elf, pc, true);
    if (!po)
      return makeError(ENOEXEC, "USDT " + provider + ":" + name + " site " + hex(pc) +
                                    " lies in no executable segment of " + path);
    s.offset = *po;
    if (sema) {
      auto so = fileOffset(elf, sema, false);
      if (!so)
        return makeError(ENOEXEC, "USDT " + provider + ":" + name +
                                      "'s semaphore lies in no segment of " + path);
      s.ref_ctr = *so;
    }
    s.args = std::string(args);
    sites.push_back(std::move(s));
  }
  if (sites.empty())
    return makeError(ENOENT, "no USDT probe " + provider + ":" + name + " in " + path,
                     "list them with: readelf -n " + path);
  return sites;
}

} // namespace

Result<AttachOutcome> attachUsdt(const Program &p, std::string_view section_rest,
                                 std::string_view target, const UsdtSpecs &specs) {
  if (!section_rest.empty() && !target.empty())
    return makeError(EINVAL,
                     "program '" + p.name() + "': section '" + p.section() +
                         "' already names its USDT probe; a target is only for SEC(\"usdt\")",
                     "drop --target " + p.name() + "=...");
  std::string spec(section_rest.empty() ? target : section_rest);
  if (spec.empty()) {
    AttachOutcome out;
    out.description =
        "not attached (needs a probe: --target " + p.name() + "=BINARY:PROVIDER:NAME[@PID])";
    return out;
  }
  int pid = -1;
  // "@PID" only after the last ':' (a path may contain '@').
  if (size_t at = spec.rfind('@'), colon = spec.rfind(':');
      at != std::string::npos && colon != std::string::npos && at > colon) {
    std::string_view digits = std::string_view(spec).substr(at + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || pid <= 0)
      return makeError(
          EINVAL,
          "USDT target '" + spec + "' of '" + p.name() + "': '" + std::string(digits) +
              "' is not a process id",
          "BINARY:PROVIDER:NAME@PID with a positive PID, or no @PID for every process");
    spec.resize(at);
  }
  size_t c2 = spec.rfind(':'),
         c1 = c2 == std::string::npos || c2 == 0 ? c2 : spec.rfind(':', c2 - 1);
  if (c1 == std::string::npos || c1 == 0 || c2 == c1 + 1 || c2 + 1 == spec.size())
    return makeError(EINVAL,
                     "USDT target '" + spec + "' of '" + p.name() + "' is not BINARY:PROVIDER:NAME",
                     "e.g. --target " + p.name() +
                         "=/usr/bin/app:myprov:myprobe (optionally @PID)");
  std::string binary = findInPath(spec.substr(0, c1));
  std::string provider = spec.substr(c1 + 1, c2 - c1 - 1), name = spec.substr(c2 + 1);
  std::string probe = provider + ":" + name;
  if (specs.map_fd < 0 || !specs.next_id)
    return makeError(ENOENT,
                     "program '" + p.name() +
                         "' is a USDT program but the object has no __bpf_usdt_specs map",
                     "include <bpf/usdt.bpf.h> and define the program with BPF_USDT()");
  auto sites = findSites(binary, provider, name);
  if (!sites) {
    Error e = sites.takeError();
    e.msg = "attaching '" + p.name() + "': " + e.msg;
    return e;
  }
  auto pmu = probePmu("uprobe");
  if (!pmu) {
    Error e = pmu.takeError();
    e.msg = "cannot attach '" + p.name() + "' to USDT " + probe + ": " + e.msg;
    return e;
  }
  // Spec ids are handed out in order and given back if any site fails, so a
  // failed attach leaves no id in use (the map entries are then unreferenced).
  const uint32_t first_id = *specs.next_id;
  struct Rollback {
    const UsdtSpecs &specs;
    uint32_t first;
    bool armed = true;
    ~Rollback() {
      if (armed)
        *specs.next_id = first;
    }
  } rollback{specs, first_id};
  AttachOutcome out;
  std::vector<LinkResources> links;
  for (const Site &site : *sites) {
    auto parsed = parseSpec(site.args);
    if (!parsed) {
      Error e = parsed.takeError();
      e.msg = "USDT " + probe + " in " + binary + " (program '" + p.name() + "'): " + e.msg;
      return e;
    }
    if (*specs.next_id >= specs.max_entries)
      return makeError(
          ENOSPC,
          "attaching '" + p.name() + "' to USDT " + probe + ": __bpf_usdt_specs is full (" +
              std::to_string(specs.max_entries) + " specs for every site of every USDT program)",
          "raise BPF_USDT_MAX_SPEC_CNT before including <bpf/usdt.bpf.h>, or seal with "
          "--max-entries __bpf_usdt_specs=N");
    uint32_t id = *specs.next_id;
    if (bpf_map_update_elem(specs.map_fd, &id, &*parsed, BPF_ANY) != 0)
      return makeError(errno,
                       "writing the USDT spec of '" + p.name() + "' into __bpf_usdt_specs failed");
    ++*specs.next_id;
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = pmu->first;
    // PERF_UPROBE_REF_CTR_OFFSET_SHIFT (32): the kernel raises the semaphore
    // while the uprobe exists, so guarded probes fire.
    attr.config = site.ref_ctr << 32;
    attr.config1 = reinterpret_cast<uintptr_t>(binary.c_str());
    attr.config2 = site.offset;
    int fd = perfEventOpen(&attr, pid, pid == -1 ? 0 : -1);
    if (fd < 0)
      return makeError(-fd,
                       "perf_event_open for USDT " + probe + " in " + binary + " (program '" +
                           p.name() + "') failed",
                       -fd == ESRCH ? "no process " + std::to_string(pid)
                       : -fd == EINVAL && site.ref_ctr
                           ? "the kernel needs uprobe reference counters (4.20+) for "
                             "a probe with a semaphore"
                           : "");
    LinkResources res;
    res.perf_event = sys::UniqueFd(fd);
    LIBBPF_OPTS(bpf_link_create_opts, lo);
    lo.perf_event.bpf_cookie = id; // usdt.bpf.h reads the spec id back with bpf_get_attach_cookie()
    int link = bpf_link_create(p.fd(), res.perf_event.get(), BPF_PERF_EVENT, &lo);
    if (link < 0)
      return makeError(errno,
                       "attaching '" + p.name() + "' to USDT " + probe + " in " + binary +
                           " failed",
                       errno == EINVAL || errno == EOPNOTSUPP
                           ? "USDT needs BPF cookies on perf links (Linux 5.15+)"
                           : "");
    res.link = sys::UniqueFd(link);
    links.push_back(std::move(res));
  }
  rollback.armed = false;
  out.attached = true;
  out.description = "usdt " + binary + ":" + probe + " (" + std::to_string(sites->size()) +
                    (sites->size() == 1 ? " site" : " sites") +
                    (pid == -1 ? "" : ", pid " + std::to_string(pid)) + ")";
  out.resources = std::move(links.front());
  for (size_t i = 1; i < links.size(); ++i)
    out.more.push_back(std::move(links[i]));
  return out;
}

} // namespace bpfseal

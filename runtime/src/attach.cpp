// Attaching by libbpf's section conventions, with libbpf's low-level API
// (bpf_link_create, bpf_raw_tracepoint_open, bpf_tc_*) and perf_event_open.
// The section name comes from the signed manifest, so where a program
// attaches is covered by the signature; only explicit targets (interfaces,
// cgroups, binaries) come from the caller.
#include "object_impl.h"
#include "probe.h"

#include "bpfseal/internal/elf_image.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fnmatch.h>
#include <fstream>
#include <net/if.h>
#include <set>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace bpfseal {
namespace {

struct Section {
  std::string kind;   // before the first '/', without a ".s"/".w" suffix: "tp", "fentry"
  std::string rest;   // after the first '/', may be empty
};

// The syscall wrapper prefix libbpf's ksyscall uses for this architecture.
#if defined(__x86_64__)
constexpr const char *kSyscallPrefix = "__x64_sys_";
#elif defined(__aarch64__)
constexpr const char *kSyscallPrefix = "__arm64_sys_";
#elif defined(__s390x__)
constexpr const char *kSyscallPrefix = "__s390x_sys_";
#elif defined(__riscv)
constexpr const char *kSyscallPrefix = "__riscv_sys_";
#elif defined(__powerpc64__)
constexpr const char *kSyscallPrefix = "__powerpc_sys_";
#else
constexpr const char *kSyscallPrefix = "sys_"; // libbpf: no known wrapper
#endif

Section splitSection(std::string_view section) {
  Section s;
  size_t slash = section.find('/');
  s.kind = std::string(section.substr(0, slash));
  if (slash != std::string_view::npos)
    s.rest = std::string(section.substr(slash + 1));
  for (const char *suffix : {".s", ".w"})
    if (s.kind.size() > std::strlen(suffix) && s.kind.ends_with(suffix) && s.kind != "xdp.frags")
      s.kind.resize(s.kind.size() - std::strlen(suffix));
  if (s.kind == "xdp.frags")
    s.kind = "xdp";
  return s;
}

bool parseAttachType(std::string_view name, bpf_attach_type &out) {
  for (int t = 0; t < 256; ++t) {
    const char *s = libbpf_bpf_attach_type_str(static_cast<bpf_attach_type>(t));
    if (!s)
      continue;
    if (name == s) {
      out = static_cast<bpf_attach_type>(t);
      return true;
    }
  }
  return false;
}

} // namespace

int perfEventOpen(perf_event_attr *attr, int pid, int cpu) {
  long fd = ::syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

namespace {

// A BPF program on a perf event: a perf link where the kernel has them (5.15+),
// else the PERF_EVENT_IOC_SET_BPF ioctl (detached by closing the event).
Result<AttachOutcome> attachPerfEvent(const Program &p, sys::UniqueFd event,
                                      const std::string &what) {
  AttachOutcome out;
  LinkResources &res = out.resources;
  int link = bpf_link_create(p.fd(), event.get(), BPF_PERF_EVENT, nullptr);
  if (link >= 0) {
    res.link = sys::UniqueFd(link);
  } else {
    int err = errno;
    if (err != EINVAL && err != EOPNOTSUPP)
      return makeError(err, "attaching '" + p.name() + "' to " + what + " failed");
    if (::ioctl(event.get(), PERF_EVENT_IOC_SET_BPF, p.fd()) < 0)
      return makeError(errno, "attaching '" + p.name() + "' to " + what +
                                  " (PERF_EVENT_IOC_SET_BPF) failed");
  }
  if (::ioctl(event.get(), PERF_EVENT_IOC_ENABLE, 0) < 0)
    return makeError(errno, "enabling the perf event of " + what + " failed");
  res.perf_event = std::move(event);
  out.attached = true;
  out.description = what;
  return out;
}

Result<AttachOutcome> attachTracepoint(const Program &p, std::string_view spec) {
  size_t slash = spec.find('/');
  if (spec.empty() || slash == std::string_view::npos || slash == 0 || slash + 1 == spec.size())
    return makeError(EINVAL,
                     "program '" + p.name() + "': section '" + p.section() +
                         "' names no tracepoint CATEGORY/NAME",
                     "use SEC(\"tp/<category>/<name>\"), e.g. tp/syscalls/sys_enter_getpid");
  std::string category(spec.substr(0, slash)), name(spec.substr(slash + 1));
  std::string tracefs;
  Status mounted = sys::ensureTracefs(&tracefs);
  if (!mounted)
    return mounted.takeError();
  std::string id_path = tracefs + "/events/" + category + "/" + name + "/id";
  std::ifstream in(id_path);
  long long id = -1;
  if (!(in >> id) || id < 0)
    return makeError(ENOENT,
                     "tracepoint " + category + "/" + name + " does not exist (no " + id_path + ")",
                     "list tracepoints with: ls " + tracefs + "/events/" + category +
                         " and fix the "
                         "section of program '" +
                         p.name() + "'");
  perf_event_attr attr{};
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.size = sizeof(attr);
  attr.config = static_cast<uint64_t>(id);
  attr.sample_period = 1;
  attr.wakeup_events = 1;
  int fd = perfEventOpen(&attr, -1, 0);
  if (fd < 0)
    return makeError(-fd, "perf_event_open for tracepoint " + category + "/" + name + " failed");
  return attachPerfEvent(p, sys::UniqueFd(fd), "tracepoint " + category + "/" + name);
}

Result<AttachOutcome> attachRawTracepoint(const Program &p, std::string_view name) {
  if (name.empty())
    return makeError(EINVAL,
                     "program '" + p.name() + "': section '" + p.section() +
                         "' names no raw tracepoint",
                     "use SEC(\"raw_tp/<name>\"), e.g. raw_tp/sys_enter");
  std::string n(name);
  int fd = bpf_raw_tracepoint_open(n.c_str(), p.fd());
  if (fd < 0)
    return makeError(errno, "attaching '" + p.name() + "' to raw tracepoint " + n + " failed",
                     errno == ENOENT ? "the kernel has no raw tracepoint " + n : "");
  AttachOutcome out;
  out.attached = true;
  out.description = "raw_tracepoint " + n;
  out.resources.link = sys::UniqueFd(fd);
  return out;
}

// tp_btf, fentry, fexit, fmod_ret, lsm: the target is fixed at load time
// (attach_btf_id), so a raw tracepoint open without a name attaches it.
Result<AttachOutcome> attachTracing(const Program &p, const Section &s) {
  int fd = bpf_raw_tracepoint_open(nullptr, p.fd());
  if (fd < 0) {
    int err = errno;
    return makeError(err, "attaching '" + p.name() + "' (" + s.kind + " " + s.rest + ") failed",
                     s.kind == "lsm"
                         ? "the BPF LSM must be active: 'bpf' in /sys/kernel/security/lsm"
                         : "");
  }
  AttachOutcome out;
  out.attached = true;
  out.description = s.kind + " " + s.rest;
  out.resources.link = sys::UniqueFd(fd);
  return out;
}

} // namespace

// The perf PMU type and the bit of `config` that makes a return probe.
Result<std::pair<uint32_t, int>> probePmu(const char *pmu) {
  std::string base = std::string("/sys/bus/event_source/devices/") + pmu;
  std::ifstream type_in(base + "/type");
  uint32_t type = 0;
  if (!(type_in >> type))
    return makeError(
        EOPNOTSUPP, std::string("the kernel has no ") + pmu + " PMU (" + base + "/type missing)",
        std::string(pmu) == "kprobe"
            ? "this kernel was built without CONFIG_KPROBE_EVENTS; kprobes cannot attach here"
            : "the kernel needs CONFIG_UPROBE_EVENTS");
  int bit = -1;
  std::ifstream fmt(base + "/format/retprobe");
  std::string text;
  if (fmt >> text && text.starts_with("config:")) {
    std::string_view num = std::string_view(text).substr(7);
    std::from_chars(num.data(), num.data() + num.size(), bit);
  }
  return std::make_pair(type, bit);
}

namespace {

// A kprobe or uprobe perf event: config1 names the function (kprobe) or the
// binary (uprobe), config2 the offset into it.
int openProbeEvent(const std::pair<uint32_t, int> &pmu, bool retprobe, const char *name,
                   uint64_t offset) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = pmu.first;
  if (retprobe && pmu.second >= 0)
    attr.config |= 1ULL << pmu.second;
  attr.config1 = reinterpret_cast<uintptr_t>(name);
  attr.config2 = offset;
  return perfEventOpen(&attr, -1, 0);
}

Result<AttachOutcome> attachKprobe(const Program &p, const Section &s, bool retprobe) {
  auto pmu = probePmu("kprobe");
  if (!pmu) {
    Error e = pmu.takeError();
    e.msg = "cannot attach '" + p.name() + "' (" + p.section() + "): " + e.msg;
    return e;
  }
  std::string func = s.rest;
  uint64_t offset = 0;
  if (size_t plus = func.find('+'); plus != std::string::npos) {
    std::string_view off = std::string_view(func).substr(plus + 1);
    int base = off.starts_with("0x") ? 16 : 10;
    if (base == 16)
      off.remove_prefix(2);
    std::from_chars(off.data(), off.data() + off.size(), offset, base);
    func.resize(plus);
  }
  if (func.empty())
    return makeError(EINVAL,
                     "program '" + p.name() + "': section '" + p.section() + "' names no function",
                     "use SEC(\"kprobe/<function>\")");
  int fd = openProbeEvent(*pmu, retprobe, func.c_str(), offset);
  std::string what = std::string(retprobe ? "kretprobe " : "kprobe ") + func;
  if (fd < 0)
    return makeError(-fd, "perf_event_open for " + what + " failed",
                     -fd == ENOENT || -fd == EINVAL
                         ? "check that " + func + " exists in /proc/kallsyms"
                         : "");
  return attachPerfEvent(p, sys::UniqueFd(fd), what);
}

// libbpf's kprobe.multi: one link (fprobe, no kprobe PMU) on every traceable
// function matching the section's glob, as in available_filter_functions.
Result<AttachOutcome> attachKprobeMulti(const Program &p, const Section &s, bool retprobe) {
  if (s.rest.empty())
    return makeError(EINVAL,
                     "program '" + p.name() + "': section '" + p.section() +
                         "' names no function pattern",
                     "use SEC(\"kprobe.multi/<glob>\"), e.g. kprobe.multi/tcp_v4_*");
  std::vector<std::string> names;
  std::string tracefs = "/sys/kernel/tracing";
  bool glob = s.rest.find_first_of("*?[") != std::string::npos;
  if (!glob)
    names.push_back(s.rest); // the kernel says whether it exists
  if (Status mounted = sys::ensureTracefs(&tracefs); !mounted && glob)
    return mounted.takeError();
  errno = 0;
  std::ifstream in(tracefs + "/available_filter_functions");
  if (!in && glob)
    return makeError(
        errno ? errno : ENOENT,
        "cannot read " + tracefs + "/available_filter_functions to expand '" + s.rest + "' for '" +
            p.name() + "'",
        "the kernel needs CONFIG_FUNCTION_TRACER (and CONFIG_FPROBE) for kprobe.multi");
  std::set<std::string> seen;
  for (std::string line; glob && std::getline(in, line);) {
    std::string name = line.substr(0, line.find(' '));
    if (!name.empty() && name.find("__ftrace_invalid_address__") == std::string::npos &&
        fnmatch(s.rest.c_str(), name.c_str(), 0) == 0 && seen.insert(name).second)
      names.push_back(std::move(name));
  }
  if (names.empty())
    return makeError(ENOENT,
                     "program '" + p.name() + "': no traceable kernel function matches '" + s.rest +
                         "'",
                     "check " + tracefs + "/available_filter_functions");
  std::vector<const char *> syms;
  for (const std::string &n : names)
    syms.push_back(n.c_str());
  LIBBPF_OPTS(bpf_link_create_opts, lo);
  lo.kprobe_multi.syms = syms.data();
  lo.kprobe_multi.cnt = syms.size();
  lo.kprobe_multi.flags = retprobe ? BPF_F_KPROBE_MULTI_RETURN : 0;
  int fd = bpf_link_create(p.fd(), 0, BPF_TRACE_KPROBE_MULTI, &lo);
  std::string what = std::string(retprobe ? "kretprobe.multi " : "kprobe.multi ") + s.rest + " (" +
                     std::to_string(names.size()) + " functions)";
  if (fd < 0) {
    int err = errno;
    return makeError(
        err, "cannot attach '" + p.name() + "' (" + p.section() + "): " + what + " failed",
        err == EOPNOTSUPP
            ? "the kernel needs CONFIG_FPROBE (and CONFIG_FUNCTION_TRACER) for kprobe.multi"
        : err == ESRCH || err == ENOENT ? "check that the function exists and is traceable"
                                        : "");
  }
  AttachOutcome out;
  out.attached = true;
  out.description = what;
  out.resources.link = sys::UniqueFd(fd);
  return out;
}

} // namespace

std::string findInPath(const std::string &binary) {
  if (binary.find('/') != std::string::npos)
    return binary;
  const char *path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:/usr/lib:/lib";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir =
        dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + binary;
      if (::access(candidate.c_str(), R_OK) == 0)
        return candidate;
    }
    if (colon == std::string::npos)
      break;
    start = colon + 1;
  }
  return binary;
}

namespace {

// File offset of FUNCTION in the ELF file `path`: the symbol's address
// translated through the PT_LOAD segment that holds it, as uprobes want.
Result<uint64_t> elfSymbolOffset(const std::string &path, const std::string &function) {
  auto bin = format::elf::openBinary(
      path, "find " + function,
      "give the binary as an absolute path: --target PROG=/path/to/binary:FUNCTION");
  if (!bin)
    return bin.takeError();
  Elf *elf = bin->elf.get();
  std::optional<uint64_t> address;
  for (Elf64_Word wanted : {SHT_SYMTAB, SHT_DYNSYM}) {
    Elf_Scn *scn = nullptr;
    while (!address && (scn = elf_nextscn(elf, scn))) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != wanted || !shdr.sh_entsize)
        continue;
      Elf_Data *data = elf_getdata(scn, nullptr);
      if (!data)
        continue;
      size_t count = shdr.sh_size / shdr.sh_entsize;
      for (size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) ||
            GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
          continue;
        const char *name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (!name)
          continue;
        // "malloc" also matches versioned "malloc@@GLIBC_2.2.5".
        std::string_view n(name);
        if (n == function ||
            (n.starts_with(function) && n.size() > function.size() && n[function.size()] == '@')) {
          address = sym.st_value;
          break;
        }
      }
    }
    if (address)
      break;
  }
  if (!address)
    return makeError(ENOENT, "no function " + function + " in the symbol tables of " + path,
                     "check with: nm -D " + path + " | grep " + function);
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0)
    return makeError(ENOEXEC, path + " has no program headers");
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD ||
        !(ph.p_flags & PF_X))
      continue;
    if (*address >= ph.p_vaddr && *address < ph.p_vaddr + ph.p_memsz)
      return *address - ph.p_vaddr + ph.p_offset;
  }
  return makeError(ENOEXEC,
                   "function " + function + " of " + path + " lies in no executable segment");
}

Result<AttachOutcome> attachUprobe(const Program &p, const Section &s, std::string_view target,
                                   bool retprobe) {
  std::string spec = target.empty() ? s.rest : std::string(target);
  size_t colon = spec.rfind(':');
  if (spec.empty() || colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    AttachOutcome out;
    out.description =
        "not attached (needs a target BINARY:FUNCTION: --target " + p.name() + "=/path/bin:func)";
    if (spec.empty())
      return out;
    return makeError(EINVAL,
                     "uprobe target '" + spec + "' of '" + p.name() + "' is not BINARY:FUNCTION",
                     "e.g. --target " + p.name() + "=/usr/lib/x86_64-linux-gnu/libc.so.6:malloc");
  }
  std::string binary = findInPath(spec.substr(0, colon));
  std::string func = spec.substr(colon + 1);
  uint64_t offset = 0;
  std::string_view fv(func);
  if (fv.starts_with("0x")) {
    fv.remove_prefix(2);
    auto [ptr, ec] = std::from_chars(fv.data(), fv.data() + fv.size(), offset, 16);
    if (ec != std::errc() || ptr != fv.data() + fv.size())
      return makeError(EINVAL, "bad uprobe offset '" + func + "'");
  } else {
    auto off = elfSymbolOffset(binary, func);
    if (!off) {
      Error e = off.takeError();
      e.msg = "attaching '" + p.name() + "': " + e.msg;
      return e;
    }
    offset = *off;
  }
  auto pmu = probePmu("uprobe");
  if (!pmu)
    return pmu.takeError();
  int fd = openProbeEvent(*pmu, retprobe, binary.c_str(), offset);
  char hex[32];
  std::snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(offset));
  std::string what = std::string(retprobe ? "uretprobe " : "uprobe ") + binary + ":" + func +
                     " (offset " + hex + ")";
  if (fd < 0)
    return makeError(-fd, "perf_event_open for " + what + " failed");
  return attachPerfEvent(p, sys::UniqueFd(fd), what);
}

Result<int> interfaceIndex(const Program &p, const std::string &ifname, const char *kind) {
  unsigned idx = ::if_nametoindex(ifname.c_str());
  if (!idx)
    return makeError(ENODEV,
                     "no network interface '" + ifname + "' for " + kind + " program '" + p.name() +
                         "'",
                     "list interfaces with 'ip link'");
  return static_cast<int>(idx);
}

Result<AttachOutcome> attachXdp(const Program &p, std::string_view target) {
  AttachOutcome out;
  if (target.empty()) {
    out.description = "not attached (needs an interface: --target " + p.name() + "=IFACE)";
    return out;
  }
  std::string ifname(target);
  auto idx = interfaceIndex(p, ifname, "xdp");
  if (!idx)
    return idx.takeError();
  int fd = bpf_link_create(p.fd(), *idx, BPF_XDP, nullptr);
  if (fd < 0)
    return makeError(errno, "attaching xdp program '" + p.name() + "' to " + ifname + " failed",
                     errno == EBUSY || errno == EEXIST
                         ? "another XDP program is attached: ip link set dev " + ifname + " xdp off"
                         : "");
  out.attached = true;
  out.description = "xdp on " + ifname + " (ifindex " + std::to_string(*idx) + ")";
  out.resources.link = sys::UniqueFd(fd);
  return out;
}

Result<AttachOutcome> attachTc(const Program &p, const Section &s, std::string_view target) {
  AttachOutcome out;
  std::string spec(target);
  std::string direction = s.rest.empty() ? "ingress" : s.rest;
  if (size_t colon = spec.find(':'); colon != std::string::npos) {
    direction = spec.substr(colon + 1);
    spec.resize(colon);
  }
  if (spec.empty()) {
    out.description =
        "not attached (needs an interface: --target " + p.name() + "=IFACE[:ingress|egress])";
    return out;
  }
  if (direction != "ingress" && direction != "egress")
    return makeError(EINVAL,
                     "tc direction '" + direction + "' for '" + p.name() +
                         "' is neither ingress nor egress",
                     "use --target " + p.name() + "=IFACE:ingress or IFACE:egress");
  auto idx = interfaceIndex(p, spec, "tc");
  if (!idx)
    return idx.takeError();
  bool egress = direction == "egress";
  if (loadSupport().tcx) {
    int fd = bpf_link_create(p.fd(), *idx,
                             static_cast<bpf_attach_type>(egress ? sys::kAttachTcxEgress
                                                                 : sys::kAttachTcxIngress),
                             nullptr);
    if (fd >= 0) {
      out.attached = true;
      out.description = "tcx " + direction + " on " + spec;
      out.resources.link = sys::UniqueFd(fd);
      return out;
    }
    if (s.kind == "tcx")
      return makeError(errno, "attaching tcx program '" + p.name() + "' to " + spec + " failed");
  } else if (s.kind == "tcx") {
    return makeError(EOPNOTSUPP, "the kernel has no tcx links for '" + p.name() + "'",
                     "use SEC(\"tc\") for a clsact filter on older kernels");
  }
  // Legacy clsact filter: no link fd, so detaching is a callback.
  bpf_tc_hook hook{};
  hook.sz = sizeof(hook);
  hook.ifindex = *idx;
  hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
  int err = bpf_tc_hook_create(&hook);
  bool created = err == 0;
  if (err && err != -EEXIST)
    return makeError(-err, "creating the clsact qdisc on " + spec + " failed");
  bpf_tc_opts opts{};
  opts.sz = sizeof(opts);
  opts.prog_fd = p.fd();
  err = bpf_tc_attach(&hook, &opts);
  if (err) {
    if (created) {
      hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
      bpf_tc_hook_destroy(&hook);
    }
    return makeError(-err, "attaching tc program '" + p.name() + "' to " + spec + " " + direction +
                               " failed");
  }
  uint32_t handle = opts.handle, priority = opts.priority;
  out.resources.detach = [hook, handle, priority, created]() mutable {
    bpf_tc_opts d{};
    d.sz = sizeof(d);
    d.handle = handle;
    d.priority = priority;
    bpf_tc_detach(&hook, &d);
    if (created) { // only a qdisc we made: others' filters may live on it
      hook.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
      bpf_tc_hook_destroy(&hook);
    }
  };
  out.attached = true;
  out.description = "tc " + direction + " on " + spec + " (clsact filter handle " +
                    std::to_string(handle) + ", priority " + std::to_string(priority) + ")";
  return out;
}

Result<AttachOutcome> attachCgroup(const Program &p, std::string_view target,
                                   const AttachOptions &options) {
  bpf_attach_type type;
  if (!parseAttachType(p.info().attach_type, type))
    return makeError(EINVAL,
                     "program '" + p.name() + "' (" + p.section() +
                         ") has no cgroup attach type in its manifest",
                     "re-seal the object with this version of bpfseal");
  std::string dir = target.empty() ? options.default_cgroup : std::string(target);
  int cg = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0)
    return makeError(errno, "cannot open cgroup " + dir + " for '" + p.name() + "'",
                     "give a cgroup v2 directory: --target " + p.name() +
                         "=/sys/fs/cgroup/unified/...");
  sys::UniqueFd cg_fd(cg);
  int fd = bpf_link_create(p.fd(), cg_fd.get(), type, nullptr);
  if (fd < 0)
    return makeError(
        errno,
        "attaching '" + p.name() + "' (" + p.info().attach_type + ") to cgroup " + dir + " failed",
        errno == EBADF || errno == EINVAL ? "the directory must be a cgroup v2 directory" : "");
  AttachOutcome out;
  out.attached = true;
  out.description = p.info().attach_type + " on cgroup " + dir;
  out.resources.link = sys::UniqueFd(fd);
  return out;
}

Result<AttachOutcome> attachIter(const Program &p, const Section &s) {
  int fd = bpf_link_create(p.fd(), 0, BPF_TRACE_ITER, nullptr);
  if (fd < 0)
    return makeError(errno,
                     "creating iterator link for '" + p.name() + "' (iter/" + s.rest + ") failed",
                     s.rest == "bpf_map_elem" || s.rest == "sockmap"
                         ? "map iterators need a map; not supported by attachAll"
                         : "");
  AttachOutcome out;
  out.attached = true;
  out.description = "iterator " + s.rest +
                    " (read it with bpf_iter_create on the link, or pin the link and cat it)";
  out.resources.link = sys::UniqueFd(fd);
  return out;
}

AttachOutcome notAttached(std::string_view why) {
  AttachOutcome out;
  out.description = "not attached (" + std::string(why) + ")";
  return out;
}

Result<AttachOutcome> attachKsyscall(const Program &p, const Section &s, bool retprobe) {
  // libbpf's ksyscall: a kprobe on the arch's syscall wrapper. The sealed
  // object's LINUX_HAS_SYSCALL_WRAPPER is true (gen_loader assumes a current
  // kernel), so the wrapper, not the bare sys_ function, is the match.
  if (s.rest.empty())
    return makeError(EINVAL,
                     "program '" + p.name() + "': section '" + p.section() + "' names no syscall",
                     "use SEC(\"ksyscall/<syscall>\")");
  Section wrapped = s;
  wrapped.rest = std::string(kSyscallPrefix) + s.rest;
  return attachKprobe(p, wrapped, retprobe);
}

// How a section kind attaches. One entry per kind, as libbpf's section_defs:
// a program's kind selects its entry, and nothing else in this file knows
// section names.
enum class AttachHow {
  Tracepoint,     // perf event from the tracefs id + perf link
  RawTracepoint,  // bpf_raw_tracepoint_open(name)
  Tracing,        // target fixed at load (attach_btf_id): raw tracepoint open without a name
  Kprobe,
  Kretprobe,
  KprobeMulti,
  KretprobeMulti,
  Ksyscall,
  Kretsyscall,
  Uprobe,
  Uretprobe,
  Usdt,
  Xdp,
  Tc,
  Cgroup,
  Iter,
  NotAttached, // the attach point is an object bpfseal is not given (a socket, a netns, ...)
};

struct SectionDef {
  std::string_view kind;    // the section up to the first '/', without ".s"/".w"
  bool prefix;              // kind is a prefix ("cgroup" covers cgroup_skb, cgroup/...)
  bpf_prog_type prog_type;  // what libbpf makes of the kind; UNSPEC: several
  bpf_prog_type alt_type;   // a second type of the same kind (raw_tp.w), else UNSPEC
  AttachHow how;
  // The text after the '/' is the attach point, a signed choice: a caller's
  // --target is refused for it. Where the section has no text after the '/',
  // the target may come from the caller (tracepoints, uprobes).
  bool names_own_target;
  const char *unattachable; // NotAttached: what the program needs instead
};

constexpr bpf_prog_type kAny = BPF_PROG_TYPE_UNSPEC;

constexpr SectionDef kSectionDefs[] = {
    {"tp", false, BPF_PROG_TYPE_TRACEPOINT, kAny, AttachHow::Tracepoint, true, nullptr},
    {"tracepoint", false, BPF_PROG_TYPE_TRACEPOINT, kAny, AttachHow::Tracepoint, true, nullptr},
    {"raw_tp", false, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
     AttachHow::RawTracepoint, true, nullptr},
    {"raw_tracepoint", false, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
     AttachHow::RawTracepoint, true, nullptr},
    {"tp_btf", false, BPF_PROG_TYPE_TRACING, kAny, AttachHow::Tracing, false, nullptr},
    {"fentry", false, BPF_PROG_TYPE_TRACING, kAny, AttachHow::Tracing, false, nullptr},
    {"fexit", false, BPF_PROG_TYPE_TRACING, kAny, AttachHow::Tracing, false, nullptr},
    {"fmod_ret", false, BPF_PROG_TYPE_TRACING, kAny, AttachHow::Tracing, false, nullptr},
    {"lsm", false, BPF_PROG_TYPE_LSM, kAny, AttachHow::Tracing, false, nullptr},
    {"kprobe", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::Kprobe, true, nullptr},
    {"kretprobe", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::Kretprobe, true, nullptr},
    {"kprobe.multi", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::KprobeMulti, true, nullptr},
    {"kretprobe.multi", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::KretprobeMulti, true,
     nullptr},
    {"ksyscall", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::Ksyscall, true, nullptr},
    {"kretsyscall", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::Kretsyscall, true, nullptr},
    {"uprobe", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::Uprobe, true, nullptr},
    {"uretprobe", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::Uretprobe, true, nullptr},
    {"usdt", false, BPF_PROG_TYPE_KPROBE, kAny, AttachHow::Usdt, true, nullptr},
    {"xdp", false, BPF_PROG_TYPE_XDP, kAny, AttachHow::Xdp, false, nullptr},
    {"tc", false, BPF_PROG_TYPE_SCHED_CLS, kAny, AttachHow::Tc, false, nullptr},
    {"tcx", false, BPF_PROG_TYPE_SCHED_CLS, kAny, AttachHow::Tc, false, nullptr},
    {"classifier", false, BPF_PROG_TYPE_SCHED_CLS, kAny, AttachHow::Tc, false, nullptr},
    {"cgroup", true, kAny, kAny, AttachHow::Cgroup, false, nullptr},
    {"sockops", false, BPF_PROG_TYPE_SOCK_OPS, kAny, AttachHow::Cgroup, false, nullptr},
    {"iter", false, BPF_PROG_TYPE_TRACING, kAny, AttachHow::Iter, false, nullptr},
    {"socket", false, BPF_PROG_TYPE_SOCKET_FILTER, kAny, AttachHow::NotAttached, false,
     "needs a socket: setsockopt(SO_ATTACH_BPF) with the program fd"},
    {"sk_skb", false, BPF_PROG_TYPE_SK_SKB, kAny, AttachHow::NotAttached, false,
     "needs a sockmap/sockhash: bpf_prog_attach to the map fd"},
    {"sk_msg", false, BPF_PROG_TYPE_SK_MSG, kAny, AttachHow::NotAttached, false,
     "needs a sockmap/sockhash: bpf_prog_attach to the map fd"},
    {"sk_lookup", false, BPF_PROG_TYPE_SK_LOOKUP, kAny, AttachHow::NotAttached, false,
     "needs a network namespace: bpf_link_create with a netns fd"},
    {"sk_reuseport", false, BPF_PROG_TYPE_SK_REUSEPORT, kAny, AttachHow::NotAttached, false,
     "needs a SO_REUSEPORT socket group: setsockopt(SO_ATTACH_REUSEPORT_EBPF)"},
    {"flow_dissector", false, BPF_PROG_TYPE_FLOW_DISSECTOR, kAny, AttachHow::NotAttached, false,
     "needs a network namespace: bpf_prog_attach(BPF_FLOW_DISSECTOR)"},
    {"perf_event", false, BPF_PROG_TYPE_PERF_EVENT, kAny, AttachHow::NotAttached, false,
     "needs a perf event: perf_event_open + PERF_EVENT_IOC_SET_BPF"},
    {"syscall", false, BPF_PROG_TYPE_SYSCALL, kAny, AttachHow::NotAttached, false,
     "a syscall program runs with BPF_PROG_TEST_RUN"},
    {"freplace", false, BPF_PROG_TYPE_EXT, kAny, AttachHow::NotAttached, false,
     "needs a target program to replace"},
    {"lirc_mode2", false, BPF_PROG_TYPE_LIRC_MODE2, kAny, AttachHow::NotAttached, false,
     "needs a LIRC device"},
};

const SectionDef *findSectionDef(std::string_view kind) {
  for (const SectionDef &d : kSectionDefs)
    if (d.prefix ? kind.starts_with(d.kind) : kind == d.kind)
      return &d;
  return nullptr;
}

bool typeMatches(const SectionDef &d, std::string_view manifest_type) {
  if (d.prog_type == kAny)
    return true;
  for (bpf_prog_type t : {d.prog_type, d.alt_type})
    if (t != kAny)
      if (const char *name = libbpf_bpf_prog_type_str(t); name && manifest_type == name)
        return true;
  return false;
}

} // namespace

Result<AttachOutcome> attachProgram(const Program &program, std::string_view target,
                                    const AttachOptions &options, const UsdtSpecs &usdt) {
  const Section s = splitSection(program.section());
  const SectionDef *def = findSectionDef(s.kind);
  if (!def)
    return makeError(
        EOPNOTSUPP,
        "program '" + program.name() + "': bpfseal cannot attach section '" + program.section() +
            "'",
        "attach it yourself with the program fd (Object::programFd), or use --no-attach");
  if (!typeMatches(*def, program.info().type)) {
    const char *want = libbpf_bpf_prog_type_str(def->prog_type);
    return makeError(EINVAL,
                     "program '" + program.name() + "': section '" + program.section() +
                         "' makes " + (want ? want : "?") +
                         " programs, but the signed manifest says '" + program.info().type + "'",
                     "re-seal the object with this version of bpfseal");
  }
  // Where a section already says where to attach, that signed choice stands.
  if (def->names_own_target && !s.rest.empty() && !target.empty())
    return makeError(
        EINVAL,
        "program '" + program.name() + "': section '" + program.section() +
            "' already names its attach point; a target is only for sections without one",
        "drop --target " + program.name() + "=...");
  std::string_view rest_or_target = s.rest.empty() ? target : std::string_view(s.rest);
  switch (def->how) {
  case AttachHow::Tracepoint: return attachTracepoint(program, rest_or_target);
  case AttachHow::RawTracepoint: return attachRawTracepoint(program, rest_or_target);
  case AttachHow::Tracing: return attachTracing(program, s);
  case AttachHow::Kprobe: return attachKprobe(program, s, false);
  case AttachHow::Kretprobe: return attachKprobe(program, s, true);
  case AttachHow::KprobeMulti: return attachKprobeMulti(program, s, false);
  case AttachHow::KretprobeMulti: return attachKprobeMulti(program, s, true);
  case AttachHow::Ksyscall: return attachKsyscall(program, s, false);
  case AttachHow::Kretsyscall: return attachKsyscall(program, s, true);
  case AttachHow::Uprobe: return attachUprobe(program, s, target, false);
  case AttachHow::Uretprobe: return attachUprobe(program, s, target, true);
  case AttachHow::Usdt: return attachUsdt(program, s.rest, target, usdt);
  case AttachHow::Xdp: return attachXdp(program, target);
  case AttachHow::Tc: return attachTc(program, s, target);
  case AttachHow::Cgroup: return attachCgroup(program, target, options);
  case AttachHow::Iter: return attachIter(program, s);
  case AttachHow::NotAttached: return notAttached(def->unattachable);
  }
  return makeError(EOPNOTSUPP, "program '" + program.name() + "': no attach method for section '" +
                                   program.section() + "'");
}

} // namespace bpfseal

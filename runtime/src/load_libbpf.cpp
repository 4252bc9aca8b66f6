// The libbpf path (load_libbpf.h).
#include "load_libbpf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <unistd.h>

namespace bpfseal {
namespace {

// libbpf's messages (warnings, the verifier log of a refused program) are
// collected for the error instead of going to stderr. libbpf's print hook is
// process-wide, so it is installed once while any load on the libbpf path
// runs, in whichever thread, and each message goes to the collector of the
// thread that printed it. The hook that was set before (libbpf's default,
// `bpfseal --debug`'s, or the host program's) gets the debug messages, and
// every message of a thread that is not loading. It is never our own hook:
// saving ours as "the one before" made a second concurrent load call itself
// forever.
thread_local std::string *t_libbpf_messages = nullptr;
std::mutex hook_lock;
int hook_users = 0;                                    // under hook_lock
std::atomic<libbpf_print_fn_t> host_print{nullptr}; // the hook before ours

int collectLibbpfMessage(enum libbpf_print_level level, const char *format, va_list args) {
  if (level == LIBBPF_DEBUG || !t_libbpf_messages) {
    libbpf_print_fn_t host = host_print.load();
    return host ? host(level, format, args) : 0;
  }
  char line[1024];
  int n = std::vsnprintf(line, sizeof(line), format, args);
  if (n > 0)
    t_libbpf_messages->append(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
  return n;
}

class LibbpfMessages {
public:
  LibbpfMessages() {
    std::lock_guard<std::mutex> guard(hook_lock);
    if (hook_users++ == 0) {
      libbpf_print_fn_t before = libbpf_set_print(collectLibbpfMessage);
      host_print = before == collectLibbpfMessage ? nullptr : before;
    }
    t_libbpf_messages = &text_;
  }
  ~LibbpfMessages() {
    t_libbpf_messages = nullptr;
    std::lock_guard<std::mutex> guard(hook_lock);
    if (--hook_users == 0) {
      // Put the host's hook back unless the host set another one meanwhile.
      libbpf_print_fn_t current = libbpf_set_print(host_print.load());
      if (current != collectLibbpfMessage)
        libbpf_set_print(current);
    }
  }
  LibbpfMessages(const LibbpfMessages &) = delete;
  LibbpfMessages &operator=(const LibbpfMessages &) = delete;
  const std::string &text() const { return text_; }

private:
  std::string text_;
};

struct ObjectCloser {
  void operator()(bpf_object *obj) const { bpf_object__close(obj); }
};
using UniqueBpfObject = std::unique_ptr<bpf_object, ObjectCloser>;

Error mismatch(const std::string &what) {
  return makeError(
      EKEYREJECTED, "the ELF in the sealed file does not match its signed manifest: " + what,
      "re-seal the object with this bpfseal; check it with 'bpfseal verify --cert CERT'");
}

const format::ProgramInfo *findProgram(const format::Manifest &m, std::string_view name) {
  for (const format::ProgramInfo &p : m.programs)
    if (p.name == name)
      return &p;
  return nullptr;
}

const format::MapInfo *findMap(const format::Manifest &m, std::string_view name) {
  for (const format::MapInfo &map : m.maps)
    if (map.name == name)
      return &map;
  return nullptr;
}

std::string orEmpty(const char *s) { return s ? s : ""; }

// Programs the manifest lists load; the others (its disabled_programs, and
// anything else the ELF holds) do not. Each listed program must be in the
// ELF with the manifest's section and type; one whose attach target was
// replaced at seal time (--attach-target) gets that target, as the recorded
// loader looks it up in the running kernel's BTF.
Status selectPrograms(bpf_object *obj, const format::Manifest &manifest) {
  size_t listed = 0;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    const format::ProgramInfo *info = findProgram(manifest, bpf_program__name(prog));
    if (!info) {
      bpf_program__set_autoload(prog, false);
      continue;
    }
    ++listed;
    if (orEmpty(bpf_program__section_name(prog)) != info->section)
      return mismatch("program '" + info->name + "' is in section '" +
                      orEmpty(bpf_program__section_name(prog)) + "', the manifest says '" +
                      info->section + "'");
    if (orEmpty(libbpf_bpf_prog_type_str(bpf_program__type(prog))) != info->type)
      return mismatch("program '" + info->name + "' has type '" +
                      orEmpty(libbpf_bpf_prog_type_str(bpf_program__type(prog))) +
                      "', the manifest says '" + info->type + "'");
    bpf_program__set_autoload(prog, true);
    if (!info->attach_target.empty() &&
        bpf_program__set_attach_target(prog, 0, info->attach_target.c_str()))
      return makeError(
          errno,
          "cannot set the attach target of program '" + info->name + "' to '" +
              info->attach_target + "' (from the signed manifest)",
          "the running kernel's BTF must have that function; 'bpfseal inspect' shows the target");
  }
  for (const std::string &name : manifest.disabled_programs)
    if (findProgram(manifest, name))
      return mismatch("program '" + name + "' is both loaded and disabled");
  if (listed != manifest.programs.size())
    for (const format::ProgramInfo &p : manifest.programs)
      if (!bpf_object__find_program_by_name(obj, p.name.c_str()))
        return mismatch("program '" + p.name + "' of the manifest is not in the ELF");
  return ok();
}

// Every map of the ELF is a map of the manifest, with its type and sizes;
// max_entries is the manifest's.
Status configureMaps(bpf_object *obj, const format::Manifest &manifest) {
  size_t seen = 0;
  bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    const format::MapInfo *info = findMap(manifest, bpf_map__name(map));
    if (!info)
      return mismatch("map '" + orEmpty(bpf_map__name(map)) + "' is not in the manifest");
    ++seen;
    if (orEmpty(libbpf_bpf_map_type_str(bpf_map__type(map))) != info->type ||
        bpf_map__key_size(map) != info->key_size || bpf_map__value_size(map) != info->value_size)
      return mismatch("map '" + info->name +
                      "' differs from the manifest (type, key or value size)");
    if (bpf_map__max_entries(map) != info->max_entries &&
        bpf_map__set_max_entries(map, info->max_entries))
      return makeError(errno, "cannot set max_entries of map '" + info->name + "' to " +
                                  std::to_string(info->max_entries));
  }
  if (seen != manifest.maps.size())
    return mismatch("the manifest lists " + std::to_string(manifest.maps.size()) +
                    " maps, the ELF has " + std::to_string(seen));
  return ok();
}

// ---- baked __kconfig values (docs/FORMAT.md, "Seal-time configuration") ----

// One `--set` value of a __kconfig extern: the bytes the recorded loader puts
// into the .kconfig map, and the line of libbpf's kconfig syntax that makes
// libbpf resolve the extern to the same value (none for LINUX_* externs,
// which libbpf computes itself and cannot be told).
struct KconfigExpectation {
  const format::BakedValue *baked;
  std::vector<uint8_t> bytes;
  std::string libbpf_line;
};

bool parseDecimal(const std::string &text, bool &negative, uint64_t &magnitude) {
  size_t i = 0;
  negative = !text.empty() && text[0] == '-';
  i = negative ? 1 : 0;
  if (i >= text.size() || text.size() - i > 20)
    return false;
  magnitude = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    uint64_t next = magnitude * 10 + uint64_t(text[i] - '0');
    if (next / 10 != magnitude)
      return false;
    magnitude = next;
  }
  return true;
}

// The manifest stores the sealer's canonical text (`true`/`false`, decimal,
// an enumerator name, or the string); its type says how it was encoded.
Result<KconfigExpectation> kconfigExpectation(const format::BakedValue &v) {
  KconfigExpectation k{&v, std::vector<uint8_t>(v.size, 0), {}};
  bool config = v.name.rfind("CONFIG_", 0) == 0;
  auto unsupported = [&] {
    return makeError(EOPNOTSUPP,
                     "the libbpf path cannot apply the baked __kconfig value " + v.name + "=" +
                         v.value + " (type " + v.type + ")",
                     "use --path loader on a kernel that runs the loader");
  };
  if (v.size == 0 || v.size > 4096)
    return unsupported();
  if (v.type.rfind("char[", 0) == 0) {
    if (v.value.size() + 1 > v.size || v.value.find_first_of("\"\\\n") != std::string::npos)
      return unsupported();
    std::memcpy(k.bytes.data(), v.value.data(), v.value.size());
    k.libbpf_line = v.name + "=\"" + v.value + "\"";
  } else if (v.value == "true" || v.value == "false") {
    k.bytes[0] = v.value == "true";
    k.libbpf_line = v.name + (v.value == "true" ? "=y" : "=n");
  } else if (v.type == "enum libbpf_tristate") {
    // libbpf's own tristate: TRI_NO 0, TRI_YES 1, TRI_MODULE 2.
    static const struct {
      const char *name;
      uint8_t value;
      char text;
    } kTri[] = {{"TRI_NO", 0, 'n'}, {"TRI_YES", 1, 'y'}, {"TRI_MODULE", 2, 'm'}};
    const auto *t = std::find_if(std::begin(kTri), std::end(kTri),
                                 [&](const auto &e) { return v.value == e.name; });
    if (t == std::end(kTri) || v.size != 4)
      return unsupported();
    k.bytes[0] = t->value;
    k.libbpf_line = v.name + "=" + t->text;
  } else {
    bool negative = false;
    uint64_t magnitude = 0;
    if (!parseDecimal(v.value, negative, magnitude) || v.size > 8)
      return unsupported();
    uint64_t raw = negative ? uint64_t(0) - magnitude : magnitude;
    for (uint32_t i = 0; i < v.size; ++i)
      k.bytes[i] = uint8_t(raw >> (8 * i));
    k.libbpf_line = v.name + "=" + v.value;
  }
  if (!config)
    k.libbpf_line.clear();
  return k;
}

Result<std::vector<KconfigExpectation>> kconfigExpectations(const format::Manifest &manifest) {
  std::vector<KconfigExpectation> out;
  for (const format::BakedValue &v : manifest.baked) {
    if (v.section != ".kconfig")
      continue;
    auto k = kconfigExpectation(v);
    if (!k)
      return k.takeError();
    out.push_back(k.take());
  }
  return out;
}

// After the load: the .kconfig map holds exactly the baked bytes (libbpf
// freezes it; LINUX_* values are libbpf's own, so a running kernel that
// differs from the value baked at seal time is refused here).
Status checkKconfig(bpf_object *obj, const std::vector<KconfigExpectation> &expected) {
  if (expected.empty())
    return ok();
  bpf_map *kconfig = nullptr, *map;
  bpf_object__for_each_map(map, obj) {
    std::string name = orEmpty(bpf_map__name(map));
    if (bpf_map__is_internal(map) && name.size() >= 8 &&
        name.compare(name.size() - 8, 8, ".kconfig") == 0)
      kconfig = map;
  }
  size_t size = 0;
  const uint8_t *value =
      kconfig ? static_cast<const uint8_t *>(bpf_map__initial_value(kconfig, &size)) : nullptr;
  if (!value)
    return mismatch("baked __kconfig values but no .kconfig map in the ELF");
  for (const KconfigExpectation &k : expected) {
    if (uint64_t(k.baked->offset) + k.bytes.size() > size)
      return mismatch("baked __kconfig value " + k.baked->name + " lies outside the .kconfig map");
    if (std::memcmp(value + k.baked->offset, k.bytes.data(), k.bytes.size()) != 0)
      return makeError(ESTALE,
                       "the running kernel's " + k.baked->name +
                           " differs from the value baked at seal time (" + k.baked->value + ")",
                       "re-seal the object for this kernel with --set " + k.baked->name + "=VALUE");
  }
  return ok();
}

Result<sys::UniqueFd> dupFd(int fd, const std::string &what) {
  int copy = fd < 0 ? -1 : ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0)
    return makeError(fd < 0 ? EPROTO : errno, "libbpf left no fd for " + what);
  return sys::UniqueFd(copy);
}

} // namespace

Result<LoadedFds> loadElfWithLibbpf(std::span<const uint8_t> elf, const format::Manifest &manifest,
                                    const LoadOptions &options) {
  auto kconfig = kconfigExpectations(manifest);
  if (!kconfig)
    return kconfig.takeError();
  std::string kconfig_text;
  for (const KconfigExpectation &k : *kconfig)
    if (!k.libbpf_line.empty())
      kconfig_text += k.libbpf_line + "\n";
  LibbpfMessages messages;
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = manifest.object_name.c_str(),
              .kconfig = kconfig_text.empty() ? nullptr : kconfig_text.c_str(),
              .btf_custom_path = options.btf_path.empty() ? nullptr : options.btf_path.c_str(),
              .kernel_log_level = options.log_level);
  UniqueBpfObject obj(bpf_object__open_mem(elf.data(), elf.size(), &open_opts));
  if (!obj) {
    int err = errno;
    return makeError(err,
                     "libbpf could not open the sealed file's ELF" +
                         (messages.text().empty() ? ""
                                                  : ": " + trimVerifierLog(messages.text(), 2)),
                     "re-seal the object; 'bpfseal inspect' shows what it holds");
  }
  if (Status st = selectPrograms(obj.get(), manifest); !st)
    return st.takeError();
  if (Status st = configureMaps(obj.get(), manifest); !st)
    return st.takeError();
  if (bpf_object__load(obj.get())) {
    int err = errno;
    std::string tail = trimVerifierLog(messages.text());
    bool no_btf = options.btf_path.empty() && ::access("/sys/kernel/btf/vmlinux", R_OK) != 0;
    return makeError(
        err,
        "libbpf could not load the object (" + errnoName(err) + ")" +
            (tail.empty() ? "" : ": " + tail),
        no_btf ? "this kernel has no /sys/kernel/btf/vmlinux: pass its BTF with --btf FILE"
               : "fix the BPF program the log points at, rebuild and re-seal; 'bpfseal probe' "
                 "shows what this kernel supports");
  }
  if (Status st = checkKconfig(obj.get(), *kconfig); !st)
    return st.takeError();
  // The object's fds, copied in manifest order; closing the libbpf object
  // then leaves exactly these.
  LoadedFds fds;
  for (const format::MapInfo &m : manifest.maps) {
    auto fd = dupFd(bpf_map__fd(bpf_object__find_map_by_name(obj.get(), m.name.c_str())),
                    "map '" + m.name + "'");
    if (!fd)
      return fd.takeError();
    fds.maps.push_back(fd.take());
  }
  for (const format::ProgramInfo &p : manifest.programs) {
    auto fd = dupFd(bpf_program__fd(bpf_object__find_program_by_name(obj.get(), p.name.c_str())),
                    "program '" + p.name + "'");
    if (!fd)
      return fd.takeError();
    fds.progs.push_back(fd.take());
  }
  return fds;
}

} // namespace bpfseal

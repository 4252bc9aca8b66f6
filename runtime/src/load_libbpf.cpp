// The libbpf path (load_libbpf.h).
#include "load_libbpf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace bpfseal {
namespace {

// libbpf's messages (warnings, the verifier log of a refused program) are
// collected for the error instead of going to stderr. libbpf's print hook is
// process-wide; it is swapped only for the duration of one open + load.
thread_local std::string *t_libbpf_messages = nullptr;

int collectLibbpfMessage(enum libbpf_print_level level, const char *format, va_list args) {
  if (level == LIBBPF_DEBUG || !t_libbpf_messages)
    return 0;
  char line[1024];
  int n = std::vsnprintf(line, sizeof(line), format, args);
  if (n > 0)
    t_libbpf_messages->append(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
  return n;
}

class LibbpfMessages {
public:
  LibbpfMessages() : previous_(libbpf_set_print(collectLibbpfMessage)) { t_libbpf_messages = &text_; }
  ~LibbpfMessages() {
    t_libbpf_messages = nullptr;
    libbpf_set_print(previous_);
  }
  const std::string &text() const { return text_; }

private:
  std::string text_;
  libbpf_print_fn_t previous_;
};

struct ObjectCloser {
  void operator()(bpf_object *obj) const { bpf_object__close(obj); }
};
using UniqueBpfObject = std::unique_ptr<bpf_object, ObjectCloser>;

Error mismatch(const std::string &what) {
  return makeError(EKEYREJECTED, "the ELF in the sealed file does not match its signed manifest: " + what,
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

// Programs the manifest lists load; the others do not. Each listed program
// must be in the ELF with the manifest's section and type.
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
      return mismatch("program '" + info->name + "' is in section '" + orEmpty(bpf_program__section_name(prog)) +
                      "', the manifest says '" + info->section + "'");
    if (orEmpty(libbpf_bpf_prog_type_str(bpf_program__type(prog))) != info->type)
      return mismatch("program '" + info->name + "' has type '" +
                      orEmpty(libbpf_bpf_prog_type_str(bpf_program__type(prog))) + "', the manifest says '" +
                      info->type + "'");
    bpf_program__set_autoload(prog, true);
  }
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
      return mismatch("map '" + info->name + "' differs from the manifest (type, key or value size)");
    if (bpf_map__max_entries(map) != info->max_entries && bpf_map__set_max_entries(map, info->max_entries))
      return makeError(errno, "cannot set max_entries of map '" + info->name + "' to " +
                                  std::to_string(info->max_entries));
  }
  if (seen != manifest.maps.size())
    return mismatch("the manifest lists " + std::to_string(manifest.maps.size()) + " maps, the ELF has " +
                    std::to_string(seen));
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
  LibbpfMessages messages;
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = manifest.object_name.c_str(),
              .btf_custom_path = options.btf_path.empty() ? nullptr : options.btf_path.c_str(),
              .kernel_log_level = options.log_level);
  UniqueBpfObject obj(bpf_object__open_mem(elf.data(), elf.size(), &open_opts));
  if (!obj) {
    int err = errno;
    return makeError(err, "libbpf could not open the sealed file's ELF" +
                              (messages.text().empty() ? "" : ": " + trimVerifierLog(messages.text(), 2)),
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
    return makeError(err, "libbpf could not load the object (" + errnoName(err) + ")" +
                              (tail.empty() ? "" : ": " + tail),
                     no_btf ? "this kernel has no /sys/kernel/btf/vmlinux: pass its BTF with --btf FILE"
                            : "fix the BPF program the log points at, rebuild and re-seal; 'bpfseal probe' "
                              "shows what this kernel supports");
  }
  // The object's fds, copied in manifest order; closing the libbpf object
  // then leaves exactly these.
  LoadedFds fds;
  for (const format::MapInfo &m : manifest.maps) {
    auto fd = dupFd(bpf_map__fd(bpf_object__find_map_by_name(obj.get(), m.name.c_str())), "map '" + m.name + "'");
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

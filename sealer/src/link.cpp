// linkObjects: libbpf's bpf_linker, plus the plugin's unit manifests merged
// into one JSON array in the output's `.bpfseal.unit` section.
#include "bpfseal/sealer.h"

#include "elf_util.h"
#include "libbpf_log.h"
#include "units.h"

#include <bpf/libbpf.h>

#include <unistd.h>

#include <cstdlib>
#include <memory>

namespace bpfseal::sealer {
namespace {

// A private temporary directory for bpf_linker's output file, removed with
// everything in it.
class TempDir {
public:
  Status create() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bpfseal-link.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
      return makeError(errno, "cannot create a temporary directory in " + tmpl,
                       "set TMPDIR to a writable directory");
    path_ = buf.data();
    return ok();
  }
  ~TempDir() {
    if (path_.empty())
      return;
    unlink((path_ + "/linked.o").c_str());
    rmdir(path_.c_str());
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

} // namespace

Result<std::vector<uint8_t>> linkObjects(const std::vector<std::string> &input_paths) {
  if (input_paths.empty())
    return makeError(EINVAL, "nothing to link", "pass one or more BPF objects");

  // Check every input ourselves first: bpf_linker's complaints about a
  // non-BPF file are cryptic, and the unit sections are read here anyway.
  std::vector<std::string> unit_list;
  bool any_units = false;
  for (const std::string &path : input_paths) {
    auto bytes = format::readFile(path);
    if (!bytes)
      return bytes.takeError();
    if (Status s = elf::checkBpfElf(*bytes); !s) {
      Error e = s.takeError();
      e.msg = path + ": " + e.msg;
      return e;
    }
    auto secs = elf::sections(*bytes);
    if (!secs)
      return secs.takeError();
    if (auto sec = elf::findSection(*secs, format::kIndexSection))
      return makeError(EINVAL, path + ": is a sealed object; link the unsealed objects",
                       "pass the objects produced by clang (or by 'bpfseal link')");
    if (auto sec = elf::findSection(*secs, format::kUnitSection); sec && sec->size) {
      any_units = true;
      if (Status s =
              units::collect({bytes->data() + sec->offset, size_t(sec->size)}, path, unit_list);
          !s)
        return s.takeError();
    }
  }

  TempDir dir;
  if (Status s = dir.create(); !s)
    return s.takeError();
  std::string out_path = dir.path() + "/linked.o";

  LibbpfLogCapture log;
  LIBBPF_OPTS(bpf_linker_opts, linker_opts);
  std::unique_ptr<struct bpf_linker, decltype(&bpf_linker__free)> linker(
      bpf_linker__new(out_path.c_str(), &linker_opts), bpf_linker__free);
  if (!linker)
    return makeError(errno ? errno : EINVAL,
                     "libbpf cannot start the linker: " + log.lastWarning());
  for (const std::string &path : input_paths) {
    if (int err = bpf_linker__add_file(linker.get(), path.c_str(), nullptr); err) {
      std::string why = log.lastWarning();
      return makeError(-err, "cannot link '" + path + "'" + (why.empty() ? "" : ": " + why),
                       "duplicate non-weak symbols or conflicting map definitions must be "
                       "resolved in the sources");
    }
  }
  if (int err = bpf_linker__finalize(linker.get()); err)
    return makeError(-err, "libbpf cannot finish the link: " + log.lastWarning());
  linker.reset();

  auto linked = format::readFile(out_path);
  if (!linked)
    return linked.takeError();
  if (!any_units)
    return linked;
  // bpf_linker concatenated the sections (with alignment padding between
  // them); store one clean JSON array instead, NUL-terminated like the
  // plugin's own.
  std::string merged = units::toArray(unit_list);
  std::vector<uint8_t> contents(merged.begin(), merged.end());
  contents.push_back(0);
  return elf::replaceSection(*linked, format::kUnitSection, contents);
}

} // namespace bpfseal::sealer

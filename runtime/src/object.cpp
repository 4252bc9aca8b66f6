#include "bpfseal/timings.h"
#include "checked_cache.h"
#include "object_impl.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace bpfseal {

Result<LoadMode> parseLoadMode(std::string_view text) {
  if (text == "auto")
    return LoadMode::Auto;
  if (text == "kernel")
    return LoadMode::Kernel;
  if (text == "userspace" || text == "user-space" || text == "user")
    return LoadMode::Userspace;
  return makeError(EINVAL, "unknown load mode '" + std::string(text) + "'",
                   "use kernel, userspace or auto");
}

std::string_view loadModeName(LoadMode mode) {
  switch (mode) {
  case LoadMode::Auto: return "auto";
  case LoadMode::Kernel: return "kernel";
  case LoadMode::Userspace: return "userspace";
  }
  return "?";
}

Result<LoadPath> parseLoadPath(std::string_view text) {
  if (text == "auto")
    return LoadPath::Auto;
  if (text == "loader")
    return LoadPath::Loader;
  if (text == "libbpf")
    return LoadPath::Libbpf;
  return makeError(EINVAL, "unknown load path '" + std::string(text) + "'",
                   "use loader, libbpf or auto");
}

std::string_view loadPathName(LoadPath path) {
  switch (path) {
  case LoadPath::Auto: return "auto";
  case LoadPath::Loader: return "loader";
  case LoadPath::Libbpf: return "libbpf";
  }
  return "?";
}

std::string levelText(const LoadReport &report) {
  std::string text(verificationLevelName(report.level));
  if (report.path == LoadPath::Libbpf)
    text += " (CO-RE in user space)";
  return text;
}

std::string_view verificationLevelName(VerificationLevel level) {
  switch (level) {
  case VerificationLevel::KernelVerified: return "kernel-verified";
  case VerificationLevel::UserspaceVerifiedKernelHash: return "user-space-verified+kernel-hash";
  case VerificationLevel::UserspaceVerified: return "user-space-verified";
  }
  return "?";
}

namespace {
struct NamedKeyring {
  const char *name;
  int32_t id;
};
constexpr NamedKeyring kKeyrings[] = {
    {"session", -3}, {"user", -4}, {"builtin", 0}, {"secondary", 1}, {"platform", 2},
    {".bpf", -9},    {"@s", -3},   {"@u", -4},     {"bpf", -9},
};
} // namespace

Result<int32_t> parseKeyring(std::string_view text) {
  for (const NamedKeyring &k : kKeyrings)
    if (text == k.name)
      return k.id;
  int64_t value = 0;
  std::string_view digits = text;
  int base = 10;
  if (digits.starts_with("0x")) {
    digits.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty() ||
      value < INT32_MIN || value > UINT32_MAX)
    return makeError(EINVAL, "unknown keyring '" + std::string(text) + "'",
                     "use session, user, builtin, secondary, platform, .bpf or a keyring serial");
  return static_cast<int32_t>(static_cast<uint32_t>(value));
}

std::string keyringName(int32_t id) {
  for (const NamedKeyring &k : kKeyrings)
    if (k.id == id)
      return std::to_string(id) + " " + k.name;
  return std::to_string(id);
}

struct Object::Impl {
  std::string name;
  std::shared_ptr<const format::SealedObject> sealed; // immutable, maybe shared (checked_cache.h)
  bool loaded = false;
  std::vector<Program> programs;
  std::vector<Map> maps;
  std::vector<Link> links;
  LoadedFds fds;                          // owns programs[i].fd_, maps[i].fd_
  std::vector<LinkResources> link_owned;  // parallel to links
  std::vector<std::string> pinned;        // paths pinned by pin()
  uint32_t next_usdt_spec = 0;            // next free id in __bpf_usdt_specs

  UsdtSpecs usdtSpecs() {
    UsdtSpecs u;
    for (const Map &m : maps)
      if (m.name() == "__bpf_usdt_specs") {
        u.map_fd = m.fd();
        u.max_entries = m.info().max_entries;
        u.next_id = &next_usdt_spec;
      }
    return u;
  }

  // An attached program's Link and what keeps it attached, in step.
  // A USDT probe with several sites gives one Link per site.
  void keepLink(const Program &p, AttachOutcome &outcome) {
    auto keep = [&](LinkResources &res, std::string description) {
      Link link;
      link.program_ = p.name();
      link.description_ = std::move(description);
      link.fd_ = res.link.get();
      links.push_back(std::move(link));
      link_owned.push_back(std::move(res));
    };
    keep(outcome.resources, outcome.description);
    for (size_t i = 0; i < outcome.more.size(); ++i)
      keep(outcome.more[i], outcome.description + " site " + std::to_string(i + 2));
  }
};

Object::Object(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Object::Object(Object &&) noexcept = default;
Object &Object::operator=(Object &&) noexcept = default;
Object::~Object() {
  if (impl_)
    detachAll();
}

namespace {

// The file's bytes live once, in sealed->file (the libbpf path loads them).
std::unique_ptr<Object::Impl> adopt(std::shared_ptr<const format::SealedObject> sealed,
                                    std::string display_name) {
  auto impl = std::make_unique<Object::Impl>();
  impl->name = std::move(display_name);
  impl->sealed = std::move(sealed);
  return impl;
}

// Bytes this process checked before are not checked again (checked_cache.h);
// others are read by `check` and remembered once accepted.
template <typename Check>
Result<std::shared_ptr<const format::SealedObject>>
checkedObject(std::span<const uint8_t> bytes, const std::string &display_name, Check check) {
  timings::Stopwatch phase;
  if (auto known = recallCheckedObject(bytes)) {
    phase.record("parse, digests, loader checks: the same bytes were checked by an earlier open "
                 "in this process");
    return known;
  }
  Result<format::SealedObject> sealed = check();
  if (!sealed) {
    Error e = sealed.takeError();
    e.msg = display_name + ": " + e.msg;
    return e;
  }
  auto shared = std::make_shared<const format::SealedObject>(sealed.take());
  rememberCheckedObject(shared);
  return shared;
}

} // namespace

Result<Object> Object::openMemory(std::span<const uint8_t> bytes, std::string display_name) {
  auto sealed = checkedObject(bytes, display_name, [&] { return format::readSealed(bytes); });
  if (!sealed)
    return sealed.takeError();
  return Object(adopt(sealed.take(), std::move(display_name)));
}

Result<Object> Object::openFile(const std::string &path) {
  timings::Stopwatch phase;
  auto bytes = format::readFile(path);
  phase.record("read file");
  if (!bytes)
    return bytes.takeError();
  std::vector<uint8_t> file = bytes.take();
  // The bytes just read become the object's: no second copy of the file.
  auto sealed = checkedObject(file, path, [&] { return format::readSealedOwned(std::move(file)); });
  if (!sealed)
    return sealed.takeError();
  return Object(adopt(sealed.take(), path));
}

Result<LoadReport> Object::load(const LoadOptions &options) {
  if (impl_->loaded)
    return makeError(EALREADY, impl_->name + " is already loaded",
                     "open the object again to load another copy");
  const format::Manifest &m = impl_->sealed->manifest;
  // Before anything exists in the kernel, so before any signature is checked
  // (in kernel mode the kernel checks it at the loader's load): a refusal is
  // safe either way, and an admitted object's name and version are exactly
  // what the chosen loader's signature covers. The error says "claims".
  if (!options.expect_name.empty() && m.object_name != options.expect_name)
    return makeError(
        EKEYREJECTED,
        impl_->name + ": object claims the name '" + format::escapeText(m.object_name) +
            "' (not verified yet), not the expected '" + format::escapeText(options.expect_name) +
            "'",
        "load the object built for this purpose (names are set with 'bpfseal seal --name')");
  if (m.object_version < options.min_version)
    return makeError(EKEYREJECTED,
                     impl_->name + ": object claims version " + std::to_string(m.object_version) +
                         " (not verified yet), older than the minimum " +
                         std::to_string(options.min_version),
                     "deploy the current object (rollback refused; versions are set with "
                     "'bpfseal seal --version N')");
  LoadedFds fds;
  auto report = loadSealed(impl_->sealed->file, *impl_->sealed, options, fds);
  if (!report) {
    Error e = report.takeError();
    return e;
  }
  report->object_name = m.object_name;
  report->object_version = m.object_version;
  impl_->fds = std::move(fds);
  // Programs of alternative groups not kept were closed: not part of the
  // loaded object (not attached, not pinned, not found by name).
  impl_->programs.clear();
  for (size_t i = 0; i < m.programs.size(); ++i) {
    if (!impl_->fds.progs[i].valid())
      continue;
    Program p;
    p.info_ = m.programs[i];
    p.fd_ = impl_->fds.progs[i].get();
    impl_->programs.push_back(std::move(p));
  }
  impl_->maps.resize(m.maps.size());
  for (size_t i = 0; i < m.maps.size(); ++i) {
    impl_->maps[i].info_ = m.maps[i];
    impl_->maps[i].fd_ = impl_->fds.maps[i].get();
  }
  impl_->loaded = true;
  return report;
}

Result<AttachResult> Object::attach(std::string_view program, std::string_view target) {
  if (!impl_->loaded)
    return makeError(EINVAL, impl_->name + " is not loaded", "call load() first");
  const Program *p = findProgram(program);
  if (!p)
    return makeError(ENOENT, "no program named '" + std::string(program) + "' in " + impl_->name,
                     "'bpfseal inspect' lists the programs");
  AttachOptions options;
  auto outcome = attachProgram(*p, target, options, impl_->usdtSpecs());
  if (!outcome)
    return outcome.takeError();
  AttachResult result{p->name(), p->section(), outcome->attached, outcome->description};
  if (outcome->attached)
    impl_->keepLink(*p, *outcome);
  return result;
}

Result<std::vector<AttachResult>> Object::attachAll(const AttachOptions &options) {
  if (!impl_->loaded)
    return makeError(EINVAL, impl_->name + " is not loaded", "call load() first");
  // A target may name a program of an alternative group the load did not
  // keep: the caller cannot know beforehand which group the kernel accepts,
  // so it gives targets for all of them, and the unused ones are ignored.
  auto inClosedGroup = [&](const std::string &name) {
    for (const format::AlternativeGroup &g : impl_->sealed->manifest.alternatives)
      for (const std::string &p : g.programs)
        if (p == name)
          return true;
    return false;
  };
  for (const auto &[name, target] : options.targets)
    if (!findProgram(name) && !inClosedGroup(name))
      return makeError(ENOENT,
                       "attach target given for program '" + name + "', which " + impl_->name +
                           " does not have",
                       "'bpfseal inspect' lists the programs");
  size_t first_new = impl_->links.size();
  std::vector<AttachResult> results;
  for (const Program &p : impl_->programs) {
    bool skipped = false;
    for (const std::string &s : options.skip)
      skipped |= s == p.name();
    if (skipped) {
      results.push_back({p.name(), p.section(), false, "not attached (skipped on request)"});
      continue;
    }
    auto it = options.targets.find(p.name());
    std::string_view target = it == options.targets.end() ? std::string_view() : it->second;
    auto outcome = attachProgram(p, target, options, impl_->usdtSpecs());
    if (!outcome) {
      // Leave nothing of this call behind.
      while (impl_->links.size() > first_new) {
        impl_->link_owned.pop_back();
        impl_->links.pop_back();
      }
      return outcome.takeError();
    }
    results.push_back({p.name(), p.section(), outcome->attached, outcome->description});
    if (outcome->attached)
      impl_->keepLink(p, *outcome);
  }
  return results;
}

void Object::detachAll() {
  // Last attached, first detached.
  while (!impl_->link_owned.empty()) {
    impl_->link_owned.pop_back();
    impl_->links.pop_back();
  }
}

Status Object::pin(const std::string &dir) {
  if (!impl_->loaded)
    return makeError(EINVAL, impl_->name + " is not loaded", "call load() first");
  Status fs = sys::ensureBpffs(dir);
  if (!fs)
    return fs;
  std::vector<std::string> created_dirs;
  std::vector<std::string> pinned;
  auto rollback = [&] {
    for (auto it = pinned.rbegin(); it != pinned.rend(); ++it)
      ::unlink(it->c_str());
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it)
      ::rmdir(it->c_str());
  };
  auto mkdirs = [&](const std::string &d) -> Status {
    if (::mkdir(d.c_str(), 0700) == 0)
      created_dirs.push_back(d);
    else if (errno != EEXIST)
      return makeError(errno, "cannot create pin directory " + d);
    return ok();
  };
  // bpffs refuses names with '.', so "app.rodata" pins as "app_rodata" (as libbpf does).
  auto pinName = [](std::string name) {
    for (char &c : name)
      if (c == '.' || c == '/')
        c = '_';
    return name;
  };
  auto pinOne = [&](int fd, const std::string &path) -> Status {
    if (bpf_obj_pin(fd, path.c_str()) < 0)
      return makeError(errno, "pinning " + path + " failed",
                       errno == EEXIST ? "remove the old pins first (rm -r DIR)" : "");
    pinned.push_back(path);
    return ok();
  };
  Status st = mkdirs(dir);
  for (const char *sub : {"/progs", "/maps", "/links"})
    if (st)
      st = mkdirs(dir + sub);
  for (const Program &p : impl_->programs)
    if (st)
      st = pinOne(p.fd(), dir + "/progs/" + pinName(p.name()));
  for (const Map &m : impl_->maps)
    if (st)
      st = pinOne(m.fd(), dir + "/maps/" + pinName(m.name()));
  // links/PROG; a program with several links (USDT sites) adds PROG_2, PROG_3...
  std::map<std::string, int> link_count;
  for (const Link &l : impl_->links) {
    int n = ++link_count[l.program()];
    if (st && l.fd() >= 0)
      st = pinOne(l.fd(),
                  dir + "/links/" + pinName(l.program()) + (n == 1 ? "" : "_" + std::to_string(n)));
  }
  if (!st) {
    rollback();
    return st;
  }
  impl_->pinned.insert(impl_->pinned.end(), pinned.begin(), pinned.end());
  return ok();
}

const std::string &Object::name() const { return impl_->name; }
const format::SealedObject &Object::sealed() const { return *impl_->sealed; }
bool Object::loaded() const { return impl_->loaded; }
const std::vector<Program> &Object::programs() const { return impl_->programs; }
const std::vector<Map> &Object::maps() const { return impl_->maps; }
const std::vector<Link> &Object::links() const { return impl_->links; }

const Program *Object::findProgram(std::string_view name) const {
  for (const Program &p : impl_->programs)
    if (p.name() == name)
      return &p;
  return nullptr;
}

const Map *Object::findMap(std::string_view name) const {
  for (const Map &m : impl_->maps)
    if (m.name() == name)
      return &m;
  // ".rodata" finds "app.rodata" (libbpf names internal maps "<obj>.<sec>",
  // truncated, so match on the suffix).
  if (name.starts_with("."))
    for (const Map &m : impl_->maps)
      if (m.info().internal && m.name().ends_with(name))
        return &m;
  return nullptr;
}

int Object::programFd(std::string_view name) const {
  const Program *p = findProgram(name);
  return p ? p->fd() : -1;
}

int Object::mapFd(std::string_view name) const {
  const Map *m = findMap(name);
  return m ? m->fd() : -1;
}

} // namespace bpfseal

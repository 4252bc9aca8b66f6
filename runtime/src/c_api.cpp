// The C API (bpfseal/bpfseal.h) over the C++ one. Errors become -errno plus
// a thread-local message; options structs are checked the way libbpf checks
// its own (a caller's struct may be older or newer than ours).
#include "bpfseal/bpfseal.h"
#include "bpfseal/bpfseal.hpp"
#include "bpfseal/enforce.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <new>
#include <optional>
#include <type_traits>

struct bpfseal_object {
  bpfseal::Object obj;
  std::optional<bpfseal::LoadReport> report;
  std::string level_text; // levelText(*report), owned here for bpfseal_report
  std::vector<bpfseal::AttachResult> attached;
};

namespace {

thread_local std::string last_error;

int fail(const bpfseal::Error &e) {
  last_error = e.str();
  errno = e.err;
  return -e.err;
}

template <typename T> T *failNull(const bpfseal::Error &e) {
  fail(e);
  return nullptr;
}

// libbpf's OPTS_VALID: at least `sz` itself; bytes we do not know must be 0.
bool optsValid(const void *opts, size_t known_size, const char *type) {
  if (!opts)
    return true;
  size_t user_size = *static_cast<const size_t *>(opts);
  if (user_size < sizeof(size_t)) {
    fail(bpfseal::makeError(EINVAL, std::string(type) + ".sz is " + std::to_string(user_size),
                            "declare options with BPFSEAL_OPTS()"));
    return false;
  }
  const auto *bytes = static_cast<const unsigned char *>(opts);
  for (size_t i = known_size; i < user_size; ++i)
    if (bytes[i]) {
      fail(bpfseal::makeError(EINVAL,
                              std::string(type) +
                                  " has non-zero fields this libbpfseal does not know",
                              "rebuild against the installed bpfseal.h or upgrade libbpfseal"));
      return false;
    }
  return true;
}

// Known size: up to the end of TYPE's TYPE__last_field, the newest field this
// libbpfseal was built with.
#define OPTS_VALID(opts, type)                                                                     \
  optsValid(opts, offsetof(type, type##__last_field) + sizeof((opts)->type##__last_field), #type)

// OPTS_GET: a field the caller's (older) struct does not have reads as `fallback`.
#define OPTS_HAS(opts, field)                                                                      \
  ((opts) &&                                                                                       \
   (opts)->sz >= offsetof(std::remove_pointer_t<decltype(opts)>, field) + sizeof((opts)->field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

std::vector<std::string> stringList(const char *const *list) {
  std::vector<std::string> out;
  for (; list && *list; ++list)
    out.emplace_back(*list);
  return out;
}

bpfseal::Error nullObject() {
  return bpfseal::makeError(EINVAL, "object is NULL",
                            "open it with bpfseal_object__open_file(path, NULL)");
}

} // namespace

extern "C" {

const char *bpfseal_strerror_last(void) { return last_error.c_str(); }

int bpfseal_enforce_start(const char *policy_path, const char *keyring) {
  if (!policy_path || !keyring)
    return fail(bpfseal::makeError(EINVAL, "policy path or keyring is NULL"));
  auto id = bpfseal::parseKeyring(keyring);
  if (!id)
    return fail(id.error());
  bpfseal::enforce::StartOptions so;
  so.policy_path = policy_path;
  so.keyring_id = *id;
  auto started = bpfseal::enforce::start(so);
  return started ? 0 : fail(started.error());
}

int bpfseal_enforce_active(void) {
  auto st = bpfseal::enforce::status();
  return st && st->active ? 1 : 0;
}

const char *bpfseal_level_name(enum bpfseal_level level) {
  switch (level) {
  case BPFSEAL_LEVEL_KERNEL_VERIFIED: return "kernel-verified";
  case BPFSEAL_LEVEL_USERSPACE_VERIFIED_KERNEL_HASH: return "user-space-verified+kernel-hash";
  case BPFSEAL_LEVEL_USERSPACE_VERIFIED: return "user-space-verified";
  case BPFSEAL_LEVEL_NONE: break;
  }
  return "none";
}

namespace {

struct bpfseal_object *wrapOpened(bpfseal::Result<bpfseal::Object> obj) {
  if (!obj)
    return failNull<bpfseal_object>(obj.error());
  auto *out = new (std::nothrow) bpfseal_object{obj.take(), std::nullopt, {}, {}};
  if (!out)
    return failNull<bpfseal_object>(bpfseal::makeError(ENOMEM, "out of memory"));
  return out;
}

} // namespace

struct bpfseal_object *bpfseal_object__open_mem(const void *buf, size_t size,
                                                const struct bpfseal_open_opts *opts) {
  if (!OPTS_VALID(opts, bpfseal_open_opts))
    return nullptr;
  if (!buf || !size)
    return failNull<bpfseal_object>(bpfseal::makeError(EINVAL, "empty buffer for a sealed object"));
  const char *name = OPTS_GET(opts, object_name, nullptr);
  return wrapOpened(
      bpfseal::Object::openMemory(std::span<const uint8_t>(static_cast<const uint8_t *>(buf), size),
                                  name ? name : "<memory>"));
}

struct bpfseal_object *bpfseal_object__open_file(const char *path,
                                                 const struct bpfseal_open_opts *opts) {
  if (!OPTS_VALID(opts, bpfseal_open_opts))
    return nullptr;
  if (!path)
    return failNull<bpfseal_object>(bpfseal::makeError(EINVAL, "path is NULL"));
  const char *name = OPTS_GET(opts, object_name, nullptr);
  if (!name)
    return wrapOpened(bpfseal::Object::openFile(path));
  auto bytes = bpfseal::format::readFile(path);
  if (!bytes)
    return failNull<bpfseal_object>(bytes.error());
  return wrapOpened(bpfseal::Object::openMemory(*bytes, name));
}

int bpfseal_object__load(struct bpfseal_object *obj, const struct bpfseal_load_opts *opts) {
  if (!obj)
    return fail(nullObject());
  if (!OPTS_VALID(opts, bpfseal_load_opts))
    return -errno;
  bpfseal::LoadOptions lo;
  switch (OPTS_GET(opts, mode, BPFSEAL_MODE_AUTO)) {
  case BPFSEAL_MODE_AUTO: lo.mode = bpfseal::LoadMode::Auto; break;
  case BPFSEAL_MODE_KERNEL: lo.mode = bpfseal::LoadMode::Kernel; break;
  case BPFSEAL_MODE_USERSPACE: lo.mode = bpfseal::LoadMode::Userspace; break;
  default:
    return fail(bpfseal::makeError(EINVAL,
                                   "unknown bpfseal_load_opts.mode " + std::to_string(opts->mode),
                                   "use BPFSEAL_MODE_AUTO, _KERNEL or _USERSPACE"));
  }
  lo.trusted_certs = stringList(OPTS_GET(opts, trusted_certs, nullptr));
  if (const char *dir = OPTS_GET(opts, ca_dir, nullptr))
    lo.ca_dir = dir;
  if (const char *keyring = OPTS_GET(opts, keyring, nullptr)) {
    auto id = bpfseal::parseKeyring(keyring);
    if (!id)
      return fail(id.error());
    lo.keyring_id = *id;
  }
  lo.log_level = OPTS_GET(opts, log_level, 0u);
  if (unsigned size = OPTS_GET(opts, log_size, 0u))
    lo.log_size = size;
  switch (OPTS_GET(opts, path, BPFSEAL_PATH_AUTO)) {
  case BPFSEAL_PATH_AUTO: lo.path = bpfseal::LoadPath::Auto; break;
  case BPFSEAL_PATH_LOADER: lo.path = bpfseal::LoadPath::Loader; break;
  case BPFSEAL_PATH_LIBBPF: lo.path = bpfseal::LoadPath::Libbpf; break;
  default:
    return fail(bpfseal::makeError(EINVAL,
                                   "unknown bpfseal_load_opts.path " + std::to_string(opts->path),
                                   "use BPFSEAL_PATH_AUTO, _LOADER or _LIBBPF"));
  }
  if (const char *btf = OPTS_GET(opts, btf_path, nullptr))
    lo.btf_path = btf;
  if (const char *name = OPTS_GET(opts, expect_name, nullptr))
    lo.expect_name = name;
  lo.min_version = OPTS_GET(opts, min_version, 0ull);
  auto report = obj->obj.load(lo);
  if (!report)
    return fail(report.error());
  obj->report = report.take();
  obj->level_text = bpfseal::levelText(*obj->report);
  return 0;
}

int bpfseal_object__attach_all(struct bpfseal_object *obj, const struct bpfseal_attach_opts *opts) {
  if (!obj)
    return fail(nullObject());
  if (!OPTS_VALID(opts, bpfseal_attach_opts))
    return -errno;
  bpfseal::AttachOptions ao;
  for (const std::string &t : stringList(OPTS_GET(opts, targets, nullptr))) {
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(bpfseal::makeError(EINVAL, "attach target '" + t + "' is not PROG=TARGET",
                                     "e.g. \"count_packets=eth0\""));
    ao.targets[t.substr(0, eq)] = t.substr(eq + 1);
  }
  if (const char *cg = OPTS_GET(opts, default_cgroup, nullptr))
    ao.default_cgroup = cg;
  ao.skip = stringList(OPTS_GET(opts, skip, nullptr));
  auto results = obj->obj.attachAll(ao);
  if (!results)
    return fail(results.error());
  int attached = 0;
  for (const auto &r : *results)
    attached += r.attached;
  obj->attached = results.take();
  return attached;
}

void bpfseal_object__detach_all(struct bpfseal_object *obj) {
  if (obj) {
    obj->obj.detachAll();
    obj->attached.clear();
  }
}

int bpfseal_object__pin(struct bpfseal_object *obj, const char *dir) {
  if (!obj)
    return fail(nullObject());
  if (!dir)
    return fail(bpfseal::makeError(EINVAL, "pin directory is NULL"));
  bpfseal::Status st = obj->obj.pin(dir);
  return st ? 0 : fail(st.error());
}

int bpfseal_object__map_fd(const struct bpfseal_object *obj, const char *name) {
  if (!obj || !name)
    return fail(bpfseal::makeError(EINVAL, "object or map name is NULL"));
  int fd = obj->obj.mapFd(name);
  if (fd < 0)
    return fail(bpfseal::makeError(ENOENT, "no map named '" + std::string(name) + "' in " +
                                               obj->obj.name() +
                                               (obj->obj.loaded() ? "" : " (not loaded yet)")));
  return fd;
}

int bpfseal_object__prog_fd(const struct bpfseal_object *obj, const char *name) {
  if (!obj || !name)
    return fail(bpfseal::makeError(EINVAL, "object or program name is NULL"));
  int fd = obj->obj.programFd(name);
  if (fd < 0)
    return fail(bpfseal::makeError(ENOENT, "no program named '" + std::string(name) + "' in " +
                                               obj->obj.name() +
                                               (obj->obj.loaded() ? "" : " (not loaded yet)")));
  return fd;
}

size_t bpfseal_object__prog_count(const struct bpfseal_object *obj) {
  return obj ? obj->obj.sealed().manifest.programs.size() : 0;
}

const char *bpfseal_object__prog_name(const struct bpfseal_object *obj, size_t i) {
  if (!obj || i >= obj->obj.sealed().manifest.programs.size())
    return nullptr;
  return obj->obj.sealed().manifest.programs[i].name.c_str();
}

size_t bpfseal_object__map_count(const struct bpfseal_object *obj) {
  return obj ? obj->obj.sealed().manifest.maps.size() : 0;
}

const char *bpfseal_object__map_name(const struct bpfseal_object *obj, size_t i) {
  if (!obj || i >= obj->obj.sealed().manifest.maps.size())
    return nullptr;
  return obj->obj.sealed().manifest.maps[i].name.c_str();
}

const char *bpfseal_object__attach_info(const struct bpfseal_object *obj, const char *name) {
  if (!obj || !name)
    return nullptr;
  for (const auto &r : obj->attached)
    if (r.program == name)
      return r.description.c_str();
  return nullptr;
}

int bpfseal_object__report(const struct bpfseal_object *obj, struct bpfseal_report *report) {
  if (!obj || !report)
    return fail(bpfseal::makeError(EINVAL, "object or report is NULL"));
  if (!optsValid(report, sizeof(size_t), "bpfseal_report"))
    return -errno;
  if (!obj->report)
    return fail(bpfseal::makeError(EINVAL, obj->obj.name() + " is not loaded",
                                   "call bpfseal_object__load() first"));
  const bpfseal::LoadReport &r = *obj->report;
  enum bpfseal_level level = BPFSEAL_LEVEL_NONE;
  switch (r.level) {
  case bpfseal::VerificationLevel::KernelVerified: level = BPFSEAL_LEVEL_KERNEL_VERIFIED; break;
  case bpfseal::VerificationLevel::UserspaceVerifiedKernelHash:
    level = BPFSEAL_LEVEL_USERSPACE_VERIFIED_KERNEL_HASH;
    break;
  case bpfseal::VerificationLevel::UserspaceVerified:
    level = BPFSEAL_LEVEL_USERSPACE_VERIFIED;
    break;
  }
  // Fill only what the caller's struct has room for (it may be older).
  bpfseal_report full{};
  full.sz = report->sz;
  full.level = level;
  full.level_name = bpfseal_level_name(level);
  full.description = r.description.c_str();
  full.loader = r.loader.c_str();
  full.fallback = r.fallback.c_str();
  full.load_ms = r.load_ms;
  full.path = r.path == bpfseal::LoadPath::Libbpf ? "libbpf" : "loader";
  full.level_text = obj->level_text.c_str();
  full.alternative = r.alternative.c_str();
  full.alternative_note = r.alternative_note.c_str();
  size_t n = report->sz < sizeof(full) ? report->sz : sizeof(full);
  std::memcpy(report, &full, n);
  return 0;
}

void bpfseal_object__close(struct bpfseal_object *obj) { delete obj; }

} // extern "C"

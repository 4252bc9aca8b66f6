// bpfseal enforce: start, find and read bpfseal's BPF LSM policy
// (bpfseal/enforce.hpp, policy/README.md, docs/SECURITY.md "Enforcement").
#include "bpfseal/enforce.hpp"

#include "bpfseal/bpfseal.hpp"
#include "bpfseal/signing.h"
#include "sys.h"

#include "bpfseal/enforce_event.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <keyutils.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bpfseal::enforce {

namespace {

using sys::UniqueFd;

constexpr const char *kLoadProg = "bpfseal_load";
constexpr const char *kStateMap = "bpfseal_state";
constexpr const char *kAuditMap = "bpfseal_audit";
constexpr const char *kLsmFile = "/sys/kernel/security/lsm";

Error fail(int err, std::string msg, std::string hint = {}) {
  return makeError(err, std::move(msg), std::move(hint));
}

// The active LSMs, mounting securityfs where nobody did (initramfs, containers).
Result<std::string> activeLsms() {
  std::ifstream in(kLsmFile);
  bool mounted = false;
  if (!in) { // read it from a securityfs mounted only for this, and unmounted again
    mounted = ::mount("securityfs", "/sys/kernel/security", "securityfs", 0, nullptr) == 0;
    in.open(kLsmFile);
  }
  std::string text;
  bool read = in && std::getline(in, text);
  in.close();
  if (mounted)
    ::umount("/sys/kernel/security");
  if (!read)
    return fail(EOPNOTSUPP,
                std::string("cannot read ") + kLsmFile + ": this kernel has no LSM framework",
                "a kernel with CONFIG_SECURITY and CONFIG_BPF_LSM is needed");
  return text;
}

bool hasToken(const std::string &list, const std::string &token) {
  std::stringstream ss(list);
  for (std::string t; std::getline(ss, t, ',');)
    if (t == token)
      return true;
  return false;
}

template <typename Info> bool infoByFd(int fd, Info &info) {
  uint32_t len = sizeof info;
  std::memset(&info, 0, sizeof info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
}

// The policy's bpfseal_load program of this boot, if any: its id, or 0.
uint32_t findLoadProg() {
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
    UniqueFd fd(bpf_prog_get_fd_by_id(id));
    bpf_prog_info info;
    if (fd.valid() && infoByFd(fd.get(), info) && info.type == BPF_PROG_TYPE_LSM &&
        std::strcmp(info.name, kLoadProg) == 0)
      return id;
  }
  return 0;
}

std::vector<uint32_t> syscallProgs() {
  std::vector<uint32_t> ids;
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
    UniqueFd fd(bpf_prog_get_fd_by_id(id));
    bpf_prog_info info;
    if (fd.valid() && infoByFd(fd.get(), info) && info.type == BPF_PROG_TYPE_SYSCALL)
      ids.push_back(id);
  }
  return ids;
}

// Maps of program `prog_id` by name (read-only fds where possible).
struct PolicyMaps {
  std::map<std::string, uint32_t> ids;
  std::map<std::string, uint32_t> btf_ids;
};
PolicyMaps mapsOf(uint32_t prog_id) {
  PolicyMaps out;
  UniqueFd fd(bpf_prog_get_fd_by_id(prog_id));
  if (!fd.valid())
    return out;
  uint32_t map_ids[16] = {};
  bpf_prog_info info{};
  info.nr_map_ids = 16;
  info.map_ids = reinterpret_cast<uint64_t>(map_ids);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len))
    return out;
  for (uint32_t i = 0; i < info.nr_map_ids && i < 16; i++) {
    LIBBPF_OPTS(bpf_get_fd_by_id_opts, ro, .open_flags = BPF_F_RDONLY);
    UniqueFd m(bpf_map_get_fd_by_id_opts(map_ids[i], &ro));
    bpf_map_info mi;
    if (m.valid() && infoByFd(m.get(), mi)) {
      out.ids[mi.name] = map_ids[i];
      out.btf_ids[mi.name] = mi.btf_id;
    }
  }
  return out;
}

// Baked values of the policy's .rodata, by variable name, from its BTF.
std::map<std::string, std::string> bakedConfig(uint32_t map_id, uint32_t btf_id,
                                               std::string &mode) {
  std::map<std::string, std::string> out;
  LIBBPF_OPTS(bpf_get_fd_by_id_opts, ro, .open_flags = BPF_F_RDONLY);
  UniqueFd fd(bpf_map_get_fd_by_id_opts(map_id, &ro));
  bpf_map_info mi;
  if (!fd.valid() || !infoByFd(fd.get(), mi))
    return out;
  std::vector<uint8_t> value(mi.value_size);
  uint32_t key = 0;
  if (bpf_map_lookup_elem(fd.get(), &key, value.data()))
    return out;
  btf *b = btf__load_from_kernel_by_id(btf_id);
  if (!b)
    return out;
  for (uint32_t t = 1; t < btf__type_cnt(b); t++) {
    const btf_type *ds = btf__type_by_id(b, t);
    if (!btf_is_datasec(ds) || std::string(btf__name_by_offset(b, ds->name_off)) != ".rodata")
      continue;
    const btf_var_secinfo *v = btf_var_secinfos(ds);
    for (uint16_t i = 0; i < btf_vlen(ds); i++, v++) {
      const btf_type *var = btf__type_by_id(b, v->type);
      std::string name = btf__name_by_offset(b, var->name_off);
      if (v->offset + v->size > value.size() || v->size > 8)
        continue;
      uint64_t n = 0;
      std::memcpy(&n, value.data() + v->offset, v->size);
      const btf_type *ty = btf__type_by_id(b, btf__resolve_type(b, var->type));
      std::string text = std::to_string(n);
      if (ty && btf_is_enum(ty)) {
        const struct btf_enum *e = btf_enum(ty);
        for (uint16_t k = 0; k < btf_vlen(ty); k++, e++)
          if (uint32_t(e->val) == uint32_t(n))
            text = btf__name_by_offset(b, e->name_off);
      } else if (ty && btf_is_int(ty) && (btf_int_encoding(ty) & BTF_INT_BOOL)) {
        text = n ? "true" : "false";
      }
      if (name == "mode")
        mode = text;
      out[name] = text;
    }
  }
  btf__free(b);
  return out;
}

// Kernel encoding of a dev_t (sb->s_dev): MAJOR << 20 | MINOR.
uint32_t kernelDev(dev_t dev) { return (major(dev) << 20) | minor(dev); }

// Undo for a failed start: unpin, unmount, remove the directory we made.
struct PinDirGuard {
  std::string dir;
  bool mounted = false, made = false, keep = false;
  std::vector<std::string> pins;
  ~PinDirGuard() {
    if (keep)
      return;
    for (const auto &p : pins)
      ::unlink(p.c_str());
    if (mounted)
      ::umount2(dir.c_str(), MNT_DETACH);
    if (made)
      ::rmdir(dir.c_str());
  }
};

Status lockKeyring(int32_t serial) {
  char *desc = nullptr;
  if (keyctl_describe_alloc(serial, &desc) < 0)
    return fail(errno,
                "keyring " + std::to_string(serial) +
                    " cannot be described: " + std::strerror(errno),
                "give the serial of an existing keyring this process can see (keyctl show)");
  std::string d = desc;
  free(desc);
  if (d.rfind("keyring;", 0) != 0)
    return fail(EINVAL, "key " + std::to_string(serial) + " is not a keyring (" + d + ")");
  // No type: nothing may ever be linked into it again. EEXIST: somebody
  // restricted it already (whatever restriction they chose stays).
  if (keyctl_restrict_keyring(serial, nullptr, nullptr) < 0 && errno != EEXIST)
    return fail(errno,
                "cannot lock keyring " + std::to_string(serial) +
                    " (KEYCTL_RESTRICT_KEYRING): " + std::strerror(errno),
                "the keyring must be writable by root until enforcement starts");
  return ok();
}

// Which key of `keyring` verified the loader that ran: the kernel finds it by
// the key id (subjectKeyIdentifier) the signature names, and so does this,
// with the asymmetric key type's exact "ex:<hex>" match (as the PKCS#7
// verifier's find_asymmetric_key()). Returns the key's
// serial (0 if none was found, e.g. a system keyring this process cannot
// search) and "key id <hex>, '<description>'": the description is the
// kernel's "<certificate subject>: <key id>" when the key was added with an
// empty one (keyctl padd asymmetric "" ...), else what whoever added it chose.
std::pair<int32_t, std::string> verifyingKey(const format::SealedObject &sealed,
                                             const std::string &loader, int32_t keyring) {
  const format::LoaderImage *img = sealed.findLoader(loader);
  if (!img)
    return {0, ""};
  auto who = signing::describeSignature(img->signature);
  if (!who || who->key_id_hex.empty())
    return {0, ""};
  std::string text = "key id " + who->key_id_hex;
  if (keyring <= 0)
    return {0, text};
  long k = keyctl_search(keyring, "asymmetric", ("ex:" + who->key_id_hex).c_str(), 0);
  char *desc = nullptr;
  if (k <= 0 || keyctl_describe_alloc(static_cast<key_serial_t>(k), &desc) < 0)
    return {0, text};
  // "type;uid;gid;perm;description"
  std::string d = desc;
  free(desc);
  size_t at = 0;
  for (int i = 0; i < 4 && at != std::string::npos; i++)
    at = d.find(';', at + 1);
  if (at != std::string::npos)
    text += ", '" + d.substr(at + 1) + "'";
  return {static_cast<int32_t>(k), text};
}

} // namespace

Status preflight() {
  auto lsms = activeLsms();
  if (!lsms)
    return lsms.takeError();
  if (!hasToken(*lsms, "bpf"))
    return fail(EOPNOTSUPP,
                "the BPF LSM is not active: 'bpf' is not in the kernel's LSM list (" + *lsms + ")",
                "boot with lsm=" + *lsms + ",bpf (kernel needs CONFIG_BPF_LSM=y)");
  const KernelSupport &k = kernelSupport();
  if (!k.verifies_signatures)
    return fail(EOPNOTSUPP,
                "this kernel cannot verify BPF program signatures (a signed load gives " +
                    std::string(k.signed_load_errno ? errnoName(k.signed_load_errno)
                                                    : "no answer") +
                    ")",
                "enforcement needs a kernel with BPF signature verification (6.18+, "
                "CONFIG_SYSTEM_DATA_VERIFICATION)");
  if (k.trampoline_errno)
    return fail(k.trampoline_errno,
                std::string("this kernel refuses BPF trampolines (lsm programs): ") +
                    std::strerror(k.trampoline_errno),
                "a kernel with CONFIG_BPF_JIT and ftrace direct calls is needed");
  return ok();
}

Result<StartReport> start(const StartOptions &o) {
  // Nothing is created before every check passed.
  if (o.keyring_id < 0)
    return fail(
        EINVAL,
        "keyring " + keyringName(o.keyring_id) +
            " depends on the caller and any process of the session or user can add keys to it",
        "use a dedicated keyring's serial (it is locked with KEYCTL_RESTRICT_KEYRING) or "
        "builtin/secondary/platform");
  for (int32_t k : o.allow_keyrings)
    if (k <= 0)
      return fail(EINVAL, "--allow-keyring wants a keyring serial, got " + std::to_string(k),
                  "system keyrings are allowed by the policy's signed configuration");
  if (Status s = preflight(); !s)
    return s.takeError();
  if (uint32_t id = findLoadProg())
    return fail(EEXIST,
                "a bpfseal policy is already active (program id " + std::to_string(id) + ")",
                "bpfseal enforce --status shows it; it stays until reboot");

  auto obj = Object::openFile(o.policy_path);
  if (!obj)
    return obj.takeError();
  const auto &m = obj->sealed().manifest;
  bool has_state = false, has_audit = false, has_load = false;
  for (const auto &mp : m.maps) {
    has_state |= mp.name == kStateMap;
    has_audit |= mp.name == kAuditMap;
  }
  for (const auto &p : m.programs)
    has_load |= p.name == kLoadProg;
  if (!has_state || !has_audit || !has_load)
    return fail(EINVAL,
                o.policy_path + " is not a bpfseal policy (no " + kLoadProg + "/" + kStateMap + ")",
                "build one with 'bpfseal enforce build'");

  LoadOptions lo;
  lo.mode = LoadMode::Kernel; // never user space: the kernel must have verified the policy
  lo.keyring_id = o.keyring_id;
  auto loaded = obj->load(lo);
  if (!loaded)
    return loaded.takeError();

  // Keyrings are locked before the policy counts them; a failure here leaves
  // nothing attached (the Object detaches on destruction).
  std::vector<int32_t> serials;
  if (o.keyring_id > 2)
    serials.push_back(o.keyring_id);
  for (int32_t k : o.allow_keyrings)
    serials.push_back(k);
  if (serials.size() > BPFSEAL_MAX_KEYRINGS)
    return fail(E2BIG, "at most " + std::to_string(BPFSEAL_MAX_KEYRINGS) +
                           " keyrings can be allow-listed");

  auto attached = obj->attachAll({});
  if (!attached)
    return attached.takeError();
  for (const auto &a : *attached)
    if (!a.attached)
      return fail(ENOTSUP, "policy program " + a.program + " was not attached: " + a.description);

  PinDirGuard guard;
  guard.dir = o.pin_dir;
  std::string parent = o.pin_dir.substr(0, o.pin_dir.rfind('/'));
  if (!parent.empty())
    for (size_t pos = 1; pos != std::string::npos;) {
      pos = parent.find('/', pos + 1);
      ::mkdir(parent.substr(0, pos).c_str(), 0700);
    }
  if (::mkdir(o.pin_dir.c_str(), 0700) == 0)
    guard.made = true;
  else if (errno != EEXIST)
    return fail(errno, "cannot create " + o.pin_dir + ": " + std::strerror(errno));
  if (::mount("bpf", o.pin_dir.c_str(), "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
    return fail(errno, "cannot mount a bpffs on " + o.pin_dir + ": " + std::strerror(errno));
  guard.mounted = true;
  struct stat st{};
  if (::stat(o.pin_dir.c_str(), &st))
    return fail(errno, "stat " + o.pin_dir + ": " + std::strerror(errno));

  bpfseal_enforce_state state{};
  size_t n_links = 0;
  for (const Link &l : obj->links()) {
    std::string path = o.pin_dir + "/" + l.program();
    if (bpf_obj_pin(l.fd(), path.c_str()))
      return fail(errno, "cannot pin " + path + ": " + std::strerror(errno));
    guard.pins.push_back(path);
    bpf_link_info li;
    if (!infoByFd(l.fd(), li) || n_links >= BPFSEAL_MAX_LINKS)
      return fail(EINVAL, "cannot read the id of link " + l.program());
    state.link_ids[n_links++] = li.id;
  }
  size_t n_maps = 0;
  for (const Map &mp : obj->maps()) {
    // The ring buffer stays openable for writing: its reader (bpfseal audit)
    // writes the consumer position; that can only skip events, never forge them.
    bpf_map_info mi;
    if (mp.name() != kAuditMap && infoByFd(mp.fd(), mi) && n_maps < BPFSEAL_MAX_MAPS)
      state.map_ids[n_maps++] = mi.id;
  }
  for (int32_t k : serials)
    if (Status s = lockKeyring(k); !s)
      return s.takeError();
  for (size_t i = 0; i < serials.size(); i++)
    state.keyrings[i] = serials[i];
  state.pin_dev = kernelDev(st.st_dev);
  state.pin_root_ino = st.st_ino;
  state.policy_keyring = o.keyring_id;
  auto [signer_key, signer] = verifyingKey(obj->sealed(), loaded->loader, o.keyring_id);
  state.signer_key = signer_key;
  std::strncpy(state.signer, signer.c_str(), sizeof state.signer - 1);
  state.active = 1;

  int state_fd = obj->mapFd(kStateMap);
  uint32_t key = 0;
  // Keep what the policy counted since it was attached (audit events lost).
  bpfseal_enforce_state counted{};
  if (bpf_map_lookup_elem(state_fd, &key, &counted) == 0)
    state.dropped_events = counted.dropped_events;
  if (bpf_map_update_elem(state_fd, &key, &state, BPF_ANY) || bpf_map_freeze(state_fd))
    return fail(errno,
                std::string("cannot write and freeze ") + kStateMap + ": " + std::strerror(errno));
  guard.keep = true;

  StartReport r;
  r.verification = loaded->description;
  obj->detachAll(); // drops our fds; the pinned links keep the policy attached
  auto st2 = status();
  if (st2)
    r.status = *st2;
  r.preexisting_syscall_progs = syscallProgs();
  return r;
}

Result<PolicyStatus> status() {
  PolicyStatus s;
  uint32_t prog = findLoadProg();
  if (!prog) {
    s.reason = "no bpfseal policy is attached in this boot";
    if (Status p = preflight(); !p)
      s.reason += "; it could not start here: " + p.error().msg;
    return s;
  }
  s.active = true;
  PolicyMaps maps = mapsOf(prog);
  for (const auto &[name, id] : maps.ids) {
    if (name.size() > 7 && name.compare(name.size() - 7, 7, ".rodata") == 0)
      s.config = bakedConfig(id, maps.btf_ids[name], s.mode);
  }
  if (auto it = maps.ids.find(kStateMap); it != maps.ids.end()) {
    LIBBPF_OPTS(bpf_get_fd_by_id_opts, ro, .open_flags = BPF_F_RDONLY);
    UniqueFd fd(bpf_map_get_fd_by_id_opts(it->second, &ro));
    bpfseal_enforce_state st{};
    uint32_t key = 0;
    if (fd.valid() && bpf_map_lookup_elem(fd.get(), &key, &st) == 0) {
      s.self_protected = st.active;
      struct stat pst{};
      s.pin_dir = ::stat(kDefaultPinDir, &pst) == 0 && kernelDev(pst.st_dev) == st.pin_dev
                      ? kDefaultPinDir
                      : "a bpffs with device " + std::to_string(st.pin_dev >> 20) + ":" +
                            std::to_string(st.pin_dev & 0xfffff);
      s.policy_keyring = st.policy_keyring;
      s.dropped_events = st.dropped_events;
      s.signer_key = st.signer_key;
      s.signer.assign(st.signer, strnlen(st.signer, sizeof st.signer));
      for (int32_t k : st.keyrings)
        if (k)
          s.keyrings.push_back(k);
      for (uint32_t l : st.link_ids)
        if (l)
          s.link_ids.push_back(l);
      for (uint32_t mid : st.map_ids)
        if (mid)
          s.map_ids.push_back(mid);
    }
  }
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
    UniqueFd fd(bpf_prog_get_fd_by_id(id));
    bpf_prog_info info;
    if (fd.valid() && infoByFd(fd.get(), info) && info.type == BPF_PROG_TYPE_LSM &&
        std::strncmp(info.name, "bpfseal_", 8) == 0)
      s.prog_ids.push_back(id);
  }
  return s;
}

Status readAudit(bool follow, const std::function<bool(const bpfseal_enforce_event &)> &sink,
                 const std::function<void(uint64_t dropped)> &on_dropped) {
  uint32_t prog = findLoadProg();
  if (!prog)
    return fail(ENOENT, "no bpfseal policy is active in this boot",
                "start one with 'bpfseal enforce'");
  PolicyMaps maps = mapsOf(prog);
  // The loss counter lives in the policy's state (read-only fd).
  UniqueFd state_fd;
  if (auto st = maps.ids.find(kStateMap); st != maps.ids.end()) {
    LIBBPF_OPTS(bpf_get_fd_by_id_opts, ro, .open_flags = BPF_F_RDONLY);
    state_fd = UniqueFd(bpf_map_get_fd_by_id_opts(st->second, &ro));
  }
  uint64_t reported = 0;
  auto reportDropped = [&] {
    bpfseal_enforce_state st{};
    uint32_t key = 0;
    if (!on_dropped || !state_fd.valid() || bpf_map_lookup_elem(state_fd.get(), &key, &st))
      return;
    if (st.dropped_events != reported) {
      reported = st.dropped_events;
      on_dropped(reported);
    }
  };
  auto it = maps.ids.find(kAuditMap);
  if (it == maps.ids.end())
    return fail(ENOENT, std::string("the active policy has no ") + kAuditMap + " map");
  // The consumer position is written from user space: a writable fd, which
  // the policy allows for its ring buffer only.
  UniqueFd fd(bpf_map_get_fd_by_id(it->second));
  if (!fd.valid())
    return fail(errno, std::string("cannot open the audit ring buffer: ") + std::strerror(errno));
  struct Ctx {
    const std::function<bool(const bpfseal_enforce_event &)> *sink;
    bool stop = false;
  } ctx{&sink};
  auto cb = [](void *c, void *data, size_t size) -> int {
    auto *x = static_cast<Ctx *>(c);
    if (size < sizeof(bpfseal_enforce_event))
      return 0;
    bpfseal_enforce_event e;
    std::memcpy(&e, data, sizeof e);
    if (!(*x->sink)(e)) {
      x->stop = true;
      return -1;
    }
    return 0;
  };
  ring_buffer *rb = ring_buffer__new(fd.get(), cb, &ctx, nullptr);
  if (!rb)
    return fail(errno, std::string("cannot map the audit ring buffer: ") + std::strerror(errno));
  int rc = ring_buffer__consume(rb);
  if (rc >= 0 && !ctx.stop)
    reportDropped();
  while (follow && !ctx.stop && rc >= 0) {
    rc = ring_buffer__poll(rb, 500);
    if (rc == -EINTR)
      break;
    if (rc >= 0 && !ctx.stop)
      reportDropped();
  }
  ring_buffer__free(rb);
  if (rc < 0 && !ctx.stop && rc != -EINTR)
    return fail(-rc, std::string("reading the audit ring buffer: ") + std::strerror(-rc));
  return ok();
}

std::string eventKindName(uint8_t kind) {
  switch (kind) {
  case BPFSEAL_EV_PROG_LOAD: return "prog_load";
  case BPFSEAL_EV_MAP_WRITE: return "map_write_fd";
  case BPFSEAL_EV_BPF_CMD: return "bpf_cmd";
  case BPFSEAL_EV_PIN: return "pin_access";
  case BPFSEAL_EV_UMOUNT: return "umount";
  case BPFSEAL_EV_PROG_LOADED: return "prog_loaded";
  }
  return "kind" + std::to_string(kind);
}

std::string decisionName(uint8_t d) {
  switch (d) {
  case BPFSEAL_ADMITTED: return "admitted";
  case BPFSEAL_REFUSED: return "refused";
  case BPFSEAL_WOULD_REFUSE: return "would-refuse";
  }
  return "decision" + std::to_string(d);
}

std::string ruleName(uint8_t r) {
  switch (r) {
  case BPFSEAL_RULE_SIGNED: return "signed-allowed-keyring";
  case BPFSEAL_RULE_VERIFIED_LOADER: return "verified-loader";
  case BPFSEAL_RULE_EXEMPT: return "exempt";
  case BPFSEAL_RULE_UNSIGNED: return "unsigned";
  case BPFSEAL_RULE_KEYRING_NOT_ALLOWED: return "keyring-not-allowed";
  case BPFSEAL_RULE_SELF_PROTECT: return "self-protection";
  case BPFSEAL_RULE_UNKNOWN_LOADER: return "unadmitted-loader";
  }
  return "rule" + std::to_string(r);
}

std::string progTypeName(uint32_t type) {
  const char *n = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(type));
  return n ? n : "type" + std::to_string(type);
}

} // namespace bpfseal::enforce

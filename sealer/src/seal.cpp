// sealObject: bake --set values, record the load with libbpf's gen_loader
// (no kernel involved), describe it in the manifest, and emit one loader per
// kernel scheme / struct bpf_map layout.
#include "bpfseal/sealer.h"

#include "bake.h"
#include "bpfseal/version.h"
#include "elf_util.h"
#include "libbpf_log.h"
#include "recording.h"
#include "units.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

namespace bpfseal::sealer {
namespace {

// The loader's limits. Programs: gen_loader keeps their fds on the loader's
// stack, which fitProgramSlots() widens from libbpf's 32 slots to what the
// kernel's 512-byte stack holds (checked again there, subprograms included).
// Maps: libbpf 1.1 itself refuses to record a 65th map (MAX_USED_MAPS, the
// map part of its fd_array) and requires the recording to create every map.
constexpr size_t kMaxPrograms = kMaxLoaderProgramSlots;
constexpr size_t kMaxMaps = 64;

using ObjectPtr = std::unique_ptr<struct bpf_object, decltype(&bpf_object__close)>;

std::string licenseOf(std::span<const uint8_t> elf_bytes,
                      const std::vector<elf::Section> &sections) {
  auto sec = elf::findSection(sections, "license");
  if (!sec || sec->type != SHT_PROGBITS)
    return "";
  const char *p = reinterpret_cast<const char *>(elf_bytes.data() + sec->offset);
  return std::string(p, strnlen(p, sec->size));
}

std::string attachTypeOf(const struct bpf_program *prog) {
  enum bpf_attach_type at = bpf_program__expected_attach_type(prog);
  // 0 is BPF_CGROUP_INET_INGRESS, but also "not set" for most program types;
  // only cgroup_skb programs mean it.
  if (at == 0 && bpf_program__type(prog) != BPF_PROG_TYPE_CGROUP_SKB)
    return "";
  const char *s = libbpf_bpf_attach_type_str(at);
  return s ? s : std::to_string(int(at));
}

// The first __kconfig extern whose value would come from the sealing machine,
// or "" if there is none. libbpf's feature-probe externs (LINUX_HAS_BPF_COOKIE
// from usdt.bpf.h, LINUX_HAS_SYSCALL_WRAPPER from BPF_KSYSCALL) do not count:
// in gen_loader mode libbpf answers feature probes with "latest kernel" (true)
// and never looks at the sealing machine.
std::string machineKconfig(struct bpf_object *obj, const std::set<std::string> &given) {
  const struct btf *btf = bpf_object__btf(obj);
  if (!btf)
    return "(unknown: no BTF)";
  for (__u32 id = 1; id < btf__type_cnt(btf); ++id) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!btf_is_datasec(t) || std::string_view(btf__name_by_offset(btf, t->name_off)) != ".kconfig")
      continue;
    const struct btf_var_secinfo *vs = btf_var_secinfos(t);
    for (__u16 i = 0; i < btf_vlen(t); ++i, ++vs) {
      std::string_view var = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
      if (var != "LINUX_HAS_BPF_COOKIE" && var != "LINUX_HAS_SYSCALL_WRAPPER" &&
          !given.count(std::string(var)))
        return std::string(var);
    }
    return "";
  }
  return "(unknown: no .kconfig BTF section)";
}

// max_entries given to a PERF_EVENT_ARRAY that declares none: CONFIG_NR_CPUS of
// distribution kernels (Debian, Fedora amd64), so every CPU a target can have
// gets a slot; 64 KiB of pointers in the kernel.
constexpr __u32 kPerfEventArrayEntries = 8192;

// The name of the typeless __ksym extern libbpf's last warning says it could
// not resolve ("extern 'NAME' (strong): not resolved"), or "".
// The object's BTF as compiled: libbpf rewrites typeless ksyms' types when it
// opens the object, so bpf_object__btf() cannot tell them apart any more.
std::string unresolvedTypelessKsym(std::span<const uint8_t> elf_bytes,
                                   const std::vector<elf::Section> &sections,
                                   const std::string &warning) {
  const std::string pre = "extern '", post = "' (strong): not resolved";
  size_t a = warning.find(pre), b = warning.find(post);
  std::optional<elf::Section> sec = elf::findSection(sections, ".BTF");
  if (a == std::string::npos || b == std::string::npos || b <= a + pre.size() || !sec ||
      sec->offset + sec->size > elf_bytes.size())
    return "";
  std::unique_ptr<struct btf, void (*)(struct btf *)> owned(btf__new(elf_bytes.data() + sec->offset,
                                                                     sec->size),
                                                            btf__free);
  const struct btf *btf = owned.get();
  if (!btf)
    return "";
  std::string name = warning.substr(a + pre.size(), b - a - pre.size());
  for (__u32 id = 1; id < btf__type_cnt(btf); ++id) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!btf_is_datasec(t) || std::string_view(btf__name_by_offset(btf, t->name_off)) != ".ksyms")
      continue;
    const struct btf_var_secinfo *vs = btf_var_secinfos(t);
    for (__u16 i = 0; i < btf_vlen(t); ++i, ++vs) {
      const struct btf_type *var = btf__type_by_id(btf, vs->type);
      if (!btf_is_var(var) || btf__name_by_offset(btf, var->name_off) != name)
        continue;
      __u32 type = var->type; // typeless: void under const/volatile
      while (type && (btf_is_const(btf__type_by_id(btf, type)) ||
                      btf_is_volatile(btf__type_by_id(btf, type))))
        type = btf__type_by_id(btf, type)->type;
      return type == 0 ? name : "";
    }
  }
  return "";
}

// What gen_loader cannot carry faithfully, refused before recording.
Status checkSupported(struct bpf_object *obj, const std::vector<std::string> &slotted,
                      bool allow_kconfig, const std::set<std::string> &kconfig_given,
                      const std::set<std::string> &disabled) {
  size_t nprogs = 0, nmaps = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    // libbpf 1.1 opens a program whose section it does not know (newer ones
    // such as tcx/ingress, netfilter, uprobe.multi) and only fails at load,
    // with a bare EINVAL that names nothing.
    if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
      return makeError(ENOTSUP,
                       std::string("program '") + bpf_program__name(prog) + "': libbpf " +
                           std::to_string(libbpf_major_version()) + "." +
                           std::to_string(libbpf_minor_version()) + " does not know the section '" +
                           bpf_program__section_name(prog) + "', so it has no program type",
                       "use a section this libbpf knows (tcx/* and uprobe.multi need libbpf "
                       ">= 1.3, netfilter >= 1.2; e.g. SEC(\"tc\") instead of tcx/ingress)");
    if (disabled.count(bpf_program__name(prog)))
      continue;
    if (!bpf_program__autoload(prog))
      return makeError(
          ENOTSUP,
          std::string("program '") + bpf_program__name(prog) + "' (SEC(\"?" +
              bpf_program__section_name(prog) +
              "\")) is not autoloaded: a sealed object loads all its programs",
          "drop the '?' from its SEC() name, or leave it out: bpfseal seal --disable " +
              std::string(bpf_program__name(prog)));
    if (++nprogs > kMaxPrograms)
      return makeError(E2BIG,
                       std::string("program '") + bpf_program__name(prog) +
                           "' exceeds the loader's limit of " + std::to_string(kMaxPrograms) +
                           " programs per object (one 4-byte fd slot each on the kernel's "
                           "512-byte BPF stack)",
                       "split the programs over several objects");
  }
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    std::string name = bpf_map__name(map);
    if (++nmaps > kMaxMaps)
      return makeError(E2BIG,
                       "map '" + name + "' exceeds libbpf's loader limit of 64 maps per object",
                       "split the maps over several objects");
    if (bpf_map__type(map) == BPF_MAP_TYPE_PROG_ARRAY &&
        std::find(slotted.begin(), slotted.end(), name) != slotted.end())
      return makeError(ENOTSUP,
                       "map '" + name +
                           "' is a prog_array with initial slots (.values = {...}), "
                           "which libbpf's loader generator cannot fill",
                       "fill the slots from user space after loading (bpf_map_update_elem)");
    if (bpf_map__pin_path(map))
      return makeError(ENOTSUP,
                       "map '" + name +
                           "' has __uint(pinning, LIBBPF_PIN_BY_NAME): libbpf's "
                           "loader generator cannot reuse or pin maps (it would look for '" +
                           bpf_map__pin_path(map) + "' on the sealing machine)",
                       "drop the pinning attribute and pin after loading (bpfseal load --pin DIR, "
                       "Object::pin); a signed object cannot share a pinned map with another");
    if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
      return makeError(ENOTSUP,
                       "map '" + name +
                           "' is a struct_ops map, which libbpf's loader "
                           "generator cannot create",
                       "load struct_ops objects with plain libbpf");
    if (!allow_kconfig && bpf_map__is_internal(map) && name.size() > 8 &&
        name.compare(name.size() - 8, 8, ".kconfig") == 0) {
      std::string ext = machineKconfig(obj, kconfig_given);
      if (!ext.empty())
        return makeError(
            ENOTSUP,
            "__kconfig extern '" + ext + "' (map '" + name +
                "') has no value: libbpf would resolve it from the build machine's kernel "
                "config, not the target's",
            "give it the target kernel's value: --set " + ext +
                "=VALUE (one sealed file per kernel configuration), or pass --allow-kconfig "
                "if the sealing machine runs the target kernel");
    }
  }
  return ok();
}

// Map types whose max_entries must or may be 0: local storages (the kernel
// requires 0) and perf event arrays (sized by the sealer, above).
constexpr int kMapTypeCgrpStorage = 32; // BPF_MAP_TYPE_CGRP_STORAGE (6.2), newer than these headers

bool zeroEntriesValid(enum bpf_map_type type) {
  switch (int(type)) {
  case BPF_MAP_TYPE_SK_STORAGE:
  case BPF_MAP_TYPE_INODE_STORAGE:
  case BPF_MAP_TYPE_TASK_STORAGE:
  case kMapTypeCgrpStorage:
  case BPF_MAP_TYPE_CGROUP_STORAGE:
  case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
  case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
  case BPF_MAP_TYPE_STRUCT_OPS: return true;
  default: return false;
  }
}

// "NAME=VALUE" of option `opt`, NAME and VALUE non-empty.
Result<std::pair<std::string, std::string>>
splitAssignment(const std::string &opt, const std::string &arg, const char *example) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
    return makeError(EINVAL, opt + " '" + arg + "': expected " + example);
  return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
}

std::string knownNames(const std::vector<std::string> &names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 8; ++i)
    out += (i ? ", " : "") + names[i];
  if (names.size() > 8)
    out += ", ...";
  return out.empty() ? "none" : out;
}

std::vector<std::string> programNames(struct bpf_object *obj) {
  std::vector<std::string> names;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) names.push_back(bpf_program__name(p));
  return names;
}

// --max-entries MAP=N: a non-internal map, 1..UINT32_MAX.
Status applyMaxEntries(struct bpf_object *obj, const std::vector<std::string> &args) {
  std::set<std::string> seen;
  for (const std::string &arg : args) {
    auto kv = splitAssignment("--max-entries", arg, "MAP=N");
    if (!kv)
      return kv.takeError();
    auto &[name, value] = *kv;
    if (!seen.insert(name).second)
      return makeError(EINVAL, "--max-entries " + name + " given more than once");
    struct bpf_map *map = bpf_object__find_map_by_name(obj, name.c_str());
    if (!map || bpf_map__is_internal(map)) {
      std::vector<std::string> names;
      struct bpf_map *m;
      bpf_object__for_each_map(m, obj) if (!bpf_map__is_internal(m))
          names.push_back(bpf_map__name(m));
      return makeError(ENOENT,
                       "--max-entries " + arg + ": the object has no map '" + name + "'" +
                           (map ? " that can be sized (global data maps have one entry)" : ""),
                       "maps: " + knownNames(names));
    }
    uint64_t n = 0;
    bool digits = !value.empty() && value.size() <= 10 && value[0] != '0' &&
                  value.find_first_not_of("0123456789") == std::string::npos;
    if (digits)
      n = std::stoull(value);
    if (!digits || n == 0 || n > UINT32_MAX)
      return makeError(ERANGE, "--max-entries " + arg + ": N must be a decimal number 1.." +
                                   std::to_string(UINT32_MAX));
    if (int err = bpf_map__set_max_entries(map, uint32_t(n)); err)
      return makeError(-err, "--max-entries " + arg + ": libbpf refused the size");
  }
  return ok();
}

// Names every map whose max_entries is 0 where the kernel needs a size: it
// would fail at load with an error that names nothing.
Status checkMapSizes(struct bpf_object *obj) {
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    if (bpf_map__is_internal(map) || bpf_map__max_entries(map) != 0 ||
        zeroEntriesValid(bpf_map__type(map)))
      continue;
    const char *type = libbpf_bpf_map_type_str(bpf_map__type(map));
    std::string name = bpf_map__name(map);
    return makeError(EINVAL,
                     "map '" + name + "' (" + (type ? type : "?") +
                         ") has max_entries 0, which the kernel refuses",
                     "size it at seal time: bpfseal seal --max-entries " + name +
                         "=N (what tools do at run time with bpf_map__set_max_entries), or declare "
                         "__uint(max_entries, N)");
  }
  return ok();
}

// --disable PROG: each names a program, once.
Result<std::set<std::string>> disabledSet(struct bpf_object *obj,
                                          const std::vector<std::string> &args) {
  std::set<std::string> out;
  for (const std::string &name : args) {
    struct bpf_program *p = bpf_object__find_program_by_name(obj, name.c_str());
    if (!p)
      return makeError(ENOENT, "--disable " + name + ": the object has no program '" + name + "'",
                       "programs: " + knownNames(programNames(obj)));
    if (!out.insert(name).second)
      return makeError(EINVAL, "--disable " + name + " given more than once");
  }
  return out;
}

// --attach-target PROG=FUNCTION: PROG an enabled fentry/fexit/fmod_ret program.
Result<std::map<std::string, std::string>> attachTargets(struct bpf_object *obj,
                                                         const std::vector<std::string> &args,
                                                         const std::set<std::string> &disabled) {
  std::map<std::string, std::string> out;
  for (const std::string &arg : args) {
    auto kv = splitAssignment("--attach-target", arg, "PROG=FUNCTION");
    if (!kv)
      return kv.takeError();
    auto &[name, func] = *kv;
    struct bpf_program *p = bpf_object__find_program_by_name(obj, name.c_str());
    if (!p)
      return makeError(ENOENT,
                       "--attach-target " + arg + ": the object has no program '" + name + "'",
                       "programs: " + knownNames(programNames(obj)));
    if (disabled.count(name))
      return makeError(EINVAL, "--attach-target " + arg + ": program '" + name +
                                   "' is disabled (--disable)");
    enum bpf_attach_type at = bpf_program__expected_attach_type(p);
    if (bpf_program__type(p) != BPF_PROG_TYPE_TRACING ||
        (at != BPF_TRACE_FENTRY && at != BPF_TRACE_FEXIT && at != BPF_MODIFY_RETURN))
      return makeError(EINVAL,
                       "--attach-target " + arg + ": program '" + name + "' (" +
                           bpf_program__section_name(p) + ") is not fentry, fexit or fmod_ret",
                       "only those attach to a kernel function chosen by name at load");
    bool ident = std::all_of(func.begin(), func.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
    if (!ident || func.size() > 127 || std::isdigit(static_cast<unsigned char>(func[0])))
      return makeError(EINVAL,
                       "--attach-target " + arg + ": '" + func + "' is not a kernel function name",
                       "a C identifier as in /proc/kallsyms, e.g. vfs_read");
    if (!out.emplace(name, func).second)
      return makeError(EINVAL, "--attach-target " + name + " given more than once");
  }
  return out;
}

// --alternative NAME=PROG[,PROG...], most preferred first: at least two
// groups, names unique and [a-z0-9_-]{1,31} (they appear in reports), each
// program in one group at most and not disabled.
Result<std::vector<format::AlternativeGroup>>
alternativeGroups(struct bpf_object *obj, const std::vector<std::string> &args,
                  const std::set<std::string> &disabled) {
  std::vector<format::AlternativeGroup> groups;
  std::set<std::string> names, grouped;
  for (const std::string &arg : args) {
    auto kv = splitAssignment("--alternative", arg, "NAME=PROG[,PROG...]");
    if (!kv)
      return kv.takeError();
    format::AlternativeGroup g;
    g.name = kv->first;
    bool ident = g.name.size() <= 31 && std::all_of(g.name.begin(), g.name.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                 });
    if (!ident)
      return makeError(
          EINVAL,
          "--alternative " + arg + ": group name '" + g.name + "' is not 1..31 of [a-z0-9_-]",
          "e.g. --alternative fentry=on_open_fentry --alternative kprobe=on_open_kprobe");
    if (!names.insert(g.name).second)
      return makeError(EINVAL, "--alternative: group '" + g.name + "' given more than once");
    const std::string &list = kv->second;
    for (size_t begin = 0; begin <= list.size();) {
      size_t comma = std::min(list.find(',', begin), list.size());
      std::string name = list.substr(begin, comma - begin);
      begin = comma + 1;
      if (!bpf_object__find_program_by_name(obj, name.c_str()))
        return makeError(ENOENT,
                         "--alternative " + arg + ": the object has no program '" + name + "'",
                         "programs: " + knownNames(programNames(obj)));
      if (disabled.count(name))
        return makeError(EINVAL, "--alternative " + arg + ": program '" + name +
                                     "' is disabled (--disable)");
      if (!grouped.insert(name).second)
        return makeError(EINVAL,
                         "--alternative " + arg + ": program '" + name + "' is already in a group",
                         "each program belongs to one alternative group at most");
      g.programs.push_back(std::move(name));
    }
    groups.push_back(std::move(g));
  }
  if (groups.size() == 1)
    return makeError(
        EINVAL, "--alternative " + groups[0].name + " is the only group",
        "give at least two groups, most preferred first (e.g. fentry=..., then kprobe=...)");
  return groups;
}

// Makes the loads of every program of an alternative group optional in the
// recording (gen_loader numbers programs in load order, disabled ones
// skipped: the manifest's order).
Status makeGroupsOptional(struct bpf_object *obj, Recording &rec,
                          const std::vector<format::AlternativeGroup> &groups) {
  uint32_t idx = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    if (!bpf_program__autoload(prog))
      continue;
    std::string name = bpf_program__name(prog);
    for (const format::AlternativeGroup &g : groups)
      if (std::find(g.programs.begin(), g.programs.end(), name) != g.programs.end())
        if (Status s = makeProgramOptional(rec, idx); !s) {
          Error e = s.takeError();
          e.msg = "--alternative " + g.name + ": program '" + name + "': " + e.msg;
          return e;
        }
    ++idx;
  }
  return ok();
}

bool hasBtfAttachTarget(const struct bpf_program *prog) {
  enum bpf_prog_type t = bpf_program__type(prog);
  return t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM || t == BPF_PROG_TYPE_EXT;
}

// Points each retargeted program's attach-target lookup at its new function.
// The loader has one lookup per program with a BTF attach target, in load
// order; each is checked against the name the program's section gives.
Status retargetPrograms(struct bpf_object *obj, Recording &rec,
                        const std::map<std::string, std::string> &targets) {
  if (targets.empty())
    return ok();
  auto sites = attachSites(rec);
  if (!sites)
    return sites.takeError();
  size_t next = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    if (!bpf_program__autoload(prog) || !hasBtfAttachTarget(prog))
      continue;
    std::string section = bpf_program__section_name(prog);
    std::string from = section.substr(section.find('/') + 1);
    if (next >= sites->size() || !std::string_view((*sites)[next].name).ends_with(from))
      return makeError(EPROTO,
                       "cannot find the attach-target lookup of program '" +
                           std::string(bpf_program__name(prog)) + "' (" + section +
                           ") in libbpf's loader",
                       "this libbpf's gen_loader output is not what bpfseal knows; report it");
    if (auto it = targets.find(bpf_program__name(prog)); it != targets.end())
      if (Status st = retargetAttachSite(rec, (*sites)[next], it->second); !st)
        return st;
    ++next;
  }
  if (next != sites->size())
    return makeError(EPROTO, "libbpf's loader has " + std::to_string(sites->size()) +
                                 " attach-target lookups for " + std::to_string(next) +
                                 " programs");
  return ok();
}

// Writes the --set values of __kconfig externs into the recorded .kconfig
// value, after checking that the recorded bytes are the ones libbpf resolved.
Status writeKconfig(struct bpf_object *obj, Recording &rec,
                    const std::vector<KconfigValue> &values) {
  if (values.empty())
    return ok();
  uint32_t idx = 0;
  struct bpf_map *map, *kconfig = nullptr;
  bpf_object__for_each_map(map, obj) {
    std::string name = bpf_map__name(map);
    if (bpf_map__is_internal(map) && name.size() >= 8 &&
        name.compare(name.size() - 8, 8, ".kconfig") == 0) {
      kconfig = map;
      break;
    }
    ++idx;
  }
  if (!kconfig)
    return makeError(EPROTO, "the object has __kconfig externs but libbpf made no .kconfig map");
  size_t size = 0;
  const void *resolved = bpf_map__initial_value(kconfig, &size);
  auto off = mapInitialValueOffset(rec, idx, bpf_map__value_size(kconfig));
  if (!off)
    return off.takeError();
  if (!resolved || size != bpf_map__value_size(kconfig) ||
      std::memcmp(rec.blob.data() + *off, resolved, size) != 0)
    return makeError(EPROTO, "the recorded .kconfig value is not the one libbpf resolved",
                     "this libbpf's gen_loader output is not what bpfseal knows; report it");
  for (const KconfigValue &k : values) {
    if (uint64_t(k.baked.offset) + k.bytes.size() > size)
      return makeError(EPROTO,
                       "__kconfig extern '" + k.baked.name + "' lies outside the .kconfig map");
    std::memcpy(rec.blob.data() + *off + k.baked.offset, k.bytes.data(), k.bytes.size());
  }
  return ok();
}

} // namespace

std::string defaultObjectName(std::string_view path) {
  size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string_view stem = base.substr(0, base.find('.'));
  return stem.empty() ? std::string("obj") : std::string(stem);
}

Result<std::vector<uint8_t>> sealObject(std::span<const uint8_t> bpf_elf,
                                        const SealOptions &options) {
  if (Status s = elf::checkBpfElf(bpf_elf); !s)
    return s.takeError();
  std::vector<uint8_t> elf_bytes(bpf_elf.begin(), bpf_elf.end());
  auto sections = elf::sections(elf_bytes);
  if (!sections)
    return sections.takeError();
  for (const elf::Section &s : *sections)
    if (s.name == format::kIndexSection)
      return makeError(EEXIST, "input is already sealed",
                       "seal the linked BPF object, not a sealed one");

  // Layouts first: a bad --kernel-btf fails before any work.
  std::vector<KernelLayout> layouts;
  auto addLayout = [&](KernelLayout k) {
    for (KernelLayout &have : layouts)
      if (have.layout == k.layout) {
        if (have.kernels.find(k.kernels) == std::string::npos)
          have.kernels.append(", ").append(k.kernels);
        return;
      }
    for (const KernelLayout &have : layouts)
      if (have.name ==
          k.name) // append in place: `"-" + temporary` trips GCC 12's -Wrestrict at -O3
        k.name.append("-").append(std::to_string(layouts.size()));
    layouts.push_back(std::move(k));
  };
  if (options.builtin_layouts)
    for (const KernelLayout &k : builtinLayouts())
      addLayout(k);
  for (const std::string &path : options.kernel_btf_files) {
    auto k = layoutFromBtfFile(path);
    if (!k)
      return k.takeError();
    addLayout(k.take());
  }
  for (const KernelLayout &k : options.layouts)
    addLayout(k);
  for (const KernelLayout &k : layouts)
    if (3 + k.name.size() > format::kMaxLoaderNameLen)
      return makeError(ENAMETOOLONG, "loader name 'lc-" + k.name + "' is longer than 31 chars");
  if (Status s = checkDistinguishable(layouts); !s)
    return s.takeError();

  std::vector<KconfigValue> kconfig_values;
  auto baked = bakeValues(elf_bytes, options.sets, kconfig_values);
  if (!baked)
    return baked.takeError();
  std::set<std::string> kconfig_given;
  std::string kconfig_text; // libbpf resolves CONFIG_* from this, not the sealing machine
  for (const KconfigValue &k : kconfig_values) {
    kconfig_given.insert(k.baked.name);
    if (!k.libbpf_placeholder.empty())
      kconfig_text += k.libbpf_placeholder + "\n";
  }

  // Units: the plugin's manifests, carried through the link.
  std::vector<std::string> unit_list;
  if (auto sec = elf::findSection(*sections, format::kUnitSection); sec && sec->size) {
    if (Status s =
            units::collect({elf_bytes.data() + sec->offset, size_t(sec->size)}, "input", unit_list);
        !s)
      return s.takeError();
  }

  // libbpf names an object opened from memory after the buffer's address;
  // a fixed default keeps sealing deterministic.
  std::string object_name = options.object_name.empty() ? "obj" : options.object_name;
  // libbpf turns characters the kernel refuses in map names into '_' when
  // it names internal maps; do the same so the manifest's object name is
  // their prefix.
  for (char &c : object_name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
      c = '_';

  LibbpfLogCapture log;
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = object_name.c_str(),
              .kconfig = kconfig_text.empty() ? nullptr : kconfig_text.c_str());
  ObjectPtr obj(bpf_object__open_mem(elf_bytes.data(), elf_bytes.size(), &open_opts),
                bpf_object__close);
  if (!obj) {
    int err = errno ? errno : EINVAL;
    return makeError(err, "libbpf cannot open the object: " + log.lastWarning(),
                     "check it with llvm-objdump; rebuild it with clang -target bpf -g");
  }
  auto slotted = elf::mapsWithInitialSlots(elf_bytes);
  if (!slotted)
    return slotted.takeError();
  auto disabled = disabledSet(obj.get(), options.disabled);
  if (!disabled)
    return disabled.takeError();
  auto targets = attachTargets(obj.get(), options.attach_targets, *disabled);
  if (!targets)
    return targets.takeError();
  auto alternatives = alternativeGroups(obj.get(), options.alternatives, *disabled);
  if (!alternatives)
    return alternatives.takeError();
  if (Status s = applyMaxEntries(obj.get(), options.max_entries); !s)
    return s.takeError();
  if (Status s =
          checkSupported(obj.get(), *slotted, options.allow_kconfig, kconfig_given, *disabled);
      !s)
    return s.takeError();
  if (!bpf_object__next_program(obj.get(), nullptr))
    return makeError(ENOENT, "the object has no BPF programs",
                     "programs need a SEC(\"...\") annotation");
  if (disabled->size() == programNames(obj.get()).size())
    return makeError(EINVAL, "--disable leaves no program to load");
  for (const std::string &name : *disabled)
    bpf_program__set_autoload(bpf_object__find_program_by_name(obj.get(), name.c_str()), false);

  // A PERF_EVENT_ARRAY declared without max_entries gets the number of possible
  // CPUs from libbpf at load, which here means the *sealing* machine's count:
  // a target with more CPUs would lose every event sent from the others
  // (bpf_perf_event_output returns E2BIG) and the sealed bytes would depend on
  // the build machine. Size such maps for any machine instead: one pointer per
  // slot in the kernel, and user space (perf_buffer__new) uses only the slots
  // of its possible CPUs.
  for (struct bpf_map *pm = bpf_object__next_map(obj.get(), nullptr); pm;
       pm = bpf_object__next_map(obj.get(), pm))
    if (bpf_map__type(pm) == BPF_MAP_TYPE_PERF_EVENT_ARRAY && bpf_map__max_entries(pm) == 0)
      if (int err = bpf_map__set_max_entries(pm, kPerfEventArrayEntries); err)
        return makeError(-err, std::string("cannot size perf event array '") + bpf_map__name(pm) +
                                   "': " + log.lastWarning());

  if (Status s = checkMapSizes(obj.get()); !s)
    return s.takeError();

  // Record the load: with a gen_loader attached, bpf_object__load() emits
  // loader instructions and a data blob instead of calling bpf().
  LIBBPF_OPTS(gen_loader_opts, gen_opts);
  if (int err = bpf_object__gen_loader(obj.get(), &gen_opts); err)
    return makeError(-err, "libbpf cannot start the loader generator: " + log.lastWarning());
  if (int err = bpf_object__load(obj.get()); err) {
    std::string why = log.lastWarning();
    if (std::string sym = unresolvedTypelessKsym(elf_bytes, *sections, why); !sym.empty())
      return makeError(
          -err,
          "typeless __ksym '" + sym +
              "' is not in this (sealing) machine's "
              "/proc/kallsyms: libbpf 1.1 resolves typeless ksyms there before "
              "recording, although the loader looks them up again in the target kernel",
          "declare it __weak (the loader still resolves it at load), or seal on a "
          "machine whose kernel lists it (data symbols need CONFIG_KALLSYMS_ALL)");
    return makeError(-err,
                     "libbpf cannot generate a loader for this object" +
                         (why.empty() ? std::string() : ": " + why),
                     "the construct named above is not supported by signed loading");
  }
  if (!gen_opts.insns || !gen_opts.data || gen_opts.insns_sz % sizeof(struct bpf_insn))
    return makeError(EFAULT, "libbpf's loader generator produced no loader");
  Recording rec;
  rec.insns.assign(reinterpret_cast<const uint8_t *>(gen_opts.insns),
                   reinterpret_cast<const uint8_t *>(gen_opts.insns) + gen_opts.insns_sz);
  rec.blob.assign(reinterpret_cast<const uint8_t *>(gen_opts.data),
                  reinterpret_cast<const uint8_t *>(gen_opts.data) + gen_opts.data_sz);
  if (Status s = writeKconfig(obj.get(), rec, kconfig_values); !s)
    return s.takeError();
  if (Status s = retargetPrograms(obj.get(), rec, *targets); !s)
    return s.takeError();
  if (Status s = makeGroupsOptional(obj.get(), rec, *alternatives); !s)
    return s.takeError();
  if (auto slots = fitProgramSlots(rec); !slots)
    return slots.takeError();
  std::span<const uint8_t> body(rec.insns);
  std::span<const uint8_t> blob(rec.blob);

  format::Manifest m;
  m.object_name = object_name;
  m.object_version = options.object_version;
  m.license = licenseOf(elf_bytes, *sections);
  m.tool_version = BPFSEAL_VERSION_STRING;
  // gen_loader numbers programs in the order bpf_object__load_progs() loads
  // them (obj->programs order, every program autoloaded, subprograms
  // skipped) and maps by their index in obj->maps: the iteration order below.
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj.get()) {
    if (disabled->count(bpf_program__name(prog))) {
      m.disabled_programs.push_back(bpf_program__name(prog));
      continue;
    }
    format::ProgramInfo p;
    p.name = bpf_program__name(prog);
    p.section = bpf_program__section_name(prog);
    const char *type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
    p.type = type ? type : std::to_string(int(bpf_program__type(prog)));
    p.attach_type = attachTypeOf(prog);
    p.source = units::sourceOf(unit_list, p.name, p.section);
    if (auto it = targets->find(p.name); it != targets->end())
      p.attach_target = it->second;
    m.programs.push_back(std::move(p));
  }
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj.get()) {
    format::MapInfo mi;
    mi.name = bpf_map__name(map);
    const char *type = libbpf_bpf_map_type_str(bpf_map__type(map));
    mi.type = type ? type : std::to_string(int(bpf_map__type(map)));
    mi.key_size = bpf_map__key_size(map);
    mi.value_size = bpf_map__value_size(map);
    mi.max_entries = bpf_map__max_entries(map);
    mi.flags = bpf_map__map_flags(map);
    mi.internal = bpf_map__is_internal(map);
    m.maps.push_back(std::move(mi));
  }
  m.baked = baked.take();
  for (const KconfigValue &k : kconfig_values)
    m.baked.push_back(k.baked);
  m.units_json = units::toArray(unit_list);
  m.alternatives = alternatives.take();

  format::LoaderInfo kc;
  kc.name = "kernel-check";
  kc.kind = format::LoaderKind::KernelCheck;
  kc.kernels = "kernels that verify insns || metadata at load time (7.3+)";
  m.loaders.push_back(kc);
  for (const KernelLayout &k : layouts) {
    format::LoaderInfo lc;
    lc.name = "lc-" + k.name;
    lc.kind = format::LoaderKind::LoaderCheck;
    lc.layout = k.layout;
    lc.kernels = k.kernels;
    m.loaders.push_back(std::move(lc));
  }

  format::SealInput input;
  input.blob.assign(blob.begin(), blob.end());
  input.loader_body.assign(body.begin(), body.end());
  input.manifest = std::move(m);
  return format::writeSealed(elf_bytes, input);
}

} // namespace bpfseal::sealer

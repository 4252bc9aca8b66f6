// Naming the cause when a loader fails with a negative retval. libbpf's
// loader returns only the -errno of the kernel call that failed and closes
// what it made, so the context cannot say which map or program it was. These
// checks ask the running kernel the same questions the loader asked it, one
// map or attach target at a time, and blame one only when the kernel gives
// the same answer for it alone.
#include "object_impl.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cstring>
#include <memory>

namespace bpfseal {
namespace {

bool mapTypeByName(std::string_view name, bpf_map_type &out) {
  for (int t = 1; t < 64; ++t)
    if (const char *s = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(t)); s && name == s) {
      out = static_cast<bpf_map_type>(t);
      return true;
    }
  return false;
}

// Maps whose creation needs the object's BTF (local storages, or values the
// kernel must see the layout of): creating them bare proves nothing.
bool needsBtf(bpf_map_type t) {
  switch (int(t)) {
  case BPF_MAP_TYPE_SK_STORAGE:
  case BPF_MAP_TYPE_INODE_STORAGE:
  case BPF_MAP_TYPE_TASK_STORAGE:
  case 32: // BPF_MAP_TYPE_CGRP_STORAGE
  case BPF_MAP_TYPE_STRUCT_OPS:
  case BPF_MAP_TYPE_ARRAY_OF_MAPS:
  case BPF_MAP_TYPE_HASH_OF_MAPS: return true;
  default: return false;
  }
}

// The kernel's refusal of map `m` on its own, with the manifest's sizes and
// flags but no BTF; 0 if it creates it.
int refusalOfMap(const format::MapInfo &m, bpf_map_type type) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m.flags);
  int fd = bpf_map_create(type, nullptr, m.key_size, m.value_size, m.max_entries, &opts);
  if (fd >= 0) {
    sys::UniqueFd owned(fd);
    return 0;
  }
  return errno;
}

// What libbpf's gen_loader looks up for a program with a BTF attach target:
// the name (with libbpf's prefix) and BTF kind; empty when it has none.
std::pair<std::string, int> attachLookup(const format::ProgramInfo &p) {
  size_t slash = p.section.find('/');
  std::string target = !p.attach_target.empty()     ? p.attach_target
                       : slash == std::string::npos ? std::string()
                                                    : p.section.substr(slash + 1);
  if (target.empty())
    return {};
  if (p.type == "lsm")
    return {"bpf_lsm_" + target, BTF_KIND_FUNC};
  if (p.type != "tracing")
    return {};
  if (p.attach_type == "trace_raw_tp")
    return {"btf_trace_" + target, BTF_KIND_TYPEDEF};
  if (p.attach_type == "trace_iter")
    return {"bpf_iter_" + target, BTF_KIND_FUNC};
  return {target, BTF_KIND_FUNC};
}

} // namespace

std::optional<Error> diagnoseLoaderFailure(const format::Manifest &manifest, int err) {
  // An attach target the kernel does not have: the loader's
  // btf_find_by_name_kind fails with ENOENT before the program is loaded.
  if (err == ENOENT || err == ESRCH) {
    std::unique_ptr<struct btf, void (*)(struct btf *)> vmlinux(btf__load_vmlinux_btf(), btf__free);
    for (const format::ProgramInfo &p : manifest.programs) {
      auto [name, kind] = attachLookup(p);
      if (name.empty() || !vmlinux)
        continue;
      if (btf__find_by_name_kind(vmlinux.get(), name.c_str(), kind) >= 0)
        continue;
      std::string func =
          p.attach_target.empty() ? p.section.substr(p.section.find('/') + 1) : p.attach_target;
      return makeError(err,
                       "program '" + p.name + "' (" + p.section +
                           (p.attach_target.empty() ? "" : ", --attach-target " + p.attach_target) +
                           "): the kernel has no " +
                           (kind == BTF_KIND_TYPEDEF ? "BTF tracepoint " : "function ") + func +
                           " to attach to (no " + name + " in /sys/kernel/btf/vmlinux)",
                       p.attach_target.empty()
                           ? "check the name in the section; re-seal with --attach-target " +
                                 p.name + "=FUNCTION for this kernel"
                           : "re-seal with --attach-target " + p.name +
                                 "=FUNCTION that this kernel has "
                                 "(grep FUNCTION /proc/kallsyms)");
    }
  }
  // A map the kernel refuses on its own, with the same errno.
  for (const format::MapInfo &m : manifest.maps) {
    bpf_map_type type;
    if (m.internal || !mapTypeByName(m.type, type) || needsBtf(type))
      continue;
    if (int why = refusalOfMap(m, type); why == err)
      return makeError(
          err,
          "the kernel refused to create map '" + m.name + "' (" + m.type + ", key " +
              std::to_string(m.key_size) + ", value " + std::to_string(m.value_size) +
              ", max_entries " + std::to_string(m.max_entries) + ", flags 0x" +
              [&] {
                char b[16];
                std::snprintf(b, sizeof(b), "%x", m.flags);
                return std::string(b);
              }() +
              "): " + std::strerror(err),
          m.max_entries == 0 ? "size it: bpfseal seal --max-entries " + m.name + "=N"
                             : "check the map's definition against what this kernel allows for " +
                                   m.type + " maps (value sizes, flags), rebuild and re-seal");
  }
  return std::nullopt;
}

} // namespace bpfseal

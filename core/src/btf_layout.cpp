#include "bpfseal/btf_layout.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <memory>

namespace bpfseal::btf_layout {
namespace {

std::optional<uint32_t> offsetIn(const struct btf *btf, uint32_t type_id, const char *name,
                                 uint32_t base) {
  const struct btf_type *t = btf__type_by_id(btf, type_id);
  if (!t || !(btf_is_struct(t) || btf_is_union(t)))
    return std::nullopt;
  const struct btf_member *m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    uint32_t off = base + btf_member_bit_offset(t, i) / 8;
    const char *member_name = btf__name_by_offset(btf, m->name_off);
    if (member_name && std::strcmp(member_name, name) == 0)
      return off;
    if (!member_name || !*member_name) {
      int inner = btf__resolve_type(btf, m->type);
      if (inner >= 0)
        if (auto found = offsetIn(btf, static_cast<uint32_t>(inner), name, off))
          return found;
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<uint32_t> memberOffset(const struct btf *btf, const char *type, int kind,
                                     const char *member) {
  int id = btf__find_by_name_kind(btf, type, kind);
  if (id < 0)
    return std::nullopt;
  return offsetIn(btf, static_cast<uint32_t>(id), member, 0);
}

bool enumHas(const struct btf *btf, const char *type, const char *value) {
  int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
  if (id < 0)
    return false;
  const struct btf_type *t = btf__type_by_id(btf, static_cast<uint32_t>(id));
  const struct btf_enum *e = btf_enum(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++e)
    if (const char *n = btf__name_by_offset(btf, e->name_off); n && !std::strcmp(n, value))
      return true;
  return false;
}

Result<format::MapLayout> mapLayout(const struct btf *btf) {
  return mapLayout(
      [&](const char *name) { return memberOffset(btf, "bpf_map", BTF_KIND_STRUCT, name); });
}

Result<format::MapLayout>
mapLayout(const std::function<std::optional<uint32_t>(const char *member)> &field) {
  auto sha = field("sha");
  auto excl_prog_sha = field("excl_prog_sha");
  auto map_type = field("map_type"), key_size = field("key_size"), value_size = field("value_size"),
       max_entries = field("max_entries"), frozen = field("frozen");
  if (!sha || *sha != 0)
    return makeError(ENOENT,
                     "struct bpf_map has no sha[32] at offset 0 (kernel predates map hashes)");
  if (!excl_prog_sha)
    return makeError(ENOENT,
                     "struct bpf_map has no excl_prog_sha (kernel predates exclusive maps)");
  if (!map_type || !key_size || !value_size || !max_entries || !frozen)
    return makeError(ENOENT,
                     "struct bpf_map lacks map_type/key_size/value_size/max_entries/frozen");
  format::MapLayout layout;
  auto excl = field("excl");
  layout.excl_off = excl ? static_cast<int32_t>(*excl) : -1;
  layout.excl_prog_sha_off = *excl_prog_sha;
  layout.map_type_off = *map_type;
  layout.key_size_off = *key_size;
  layout.value_size_off = *value_size;
  layout.max_entries_off = *max_entries;
  layout.frozen_off = *frozen;
  return layout;
}

Result<format::MapLayout> mapLayoutFromFile(const std::string &path) {
  std::unique_ptr<struct btf, decltype(&btf__free)> btf(btf__parse(path.c_str(), nullptr),
                                                        btf__free);
  if (!btf) {
    int err = errno ? errno : EINVAL;
    return makeError(
        err, "cannot read BTF from '" + path + "'",
        "pass a vmlinux ELF with .BTF or a raw BTF file such as /sys/kernel/btf/vmlinux");
  }
  auto layout = mapLayout(btf.get());
  if (!layout) {
    Error e = layout.takeError();
    e.msg = "'" + path + "': " + e.msg;
    e.hint = "loader-check variants need a 6.18+ kernel; the kernel-check loader still covers 7.3+";
    return e;
  }
  return layout;
}

} // namespace bpfseal::btf_layout

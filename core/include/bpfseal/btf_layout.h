// What a kernel's BTF says about the structures bpfseal's loaders read. Used by
// the sealer (`bpfseal seal --kernel-btf FILE`) and by the runtime (probing the
// running kernel), so both derive a struct bpf_map layout the same way.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

struct btf;

namespace bpfseal::btf_layout {

// Byte offset of `member` in the struct or union named `type` (BTF kind
// `kind`), looking into anonymous members as C does.
std::optional<uint32_t> memberOffset(const struct btf *btf, const char *type, int kind,
                                     const char *member);
// Whether enum `type` has an enumerator named `value`.
bool enumHas(const struct btf *btf, const char *type, const char *value);

// The struct bpf_map layout a loader-check prologue needs, or an error that
// says which field is missing (kernels before 6.18 have no map->sha).
Result<format::MapLayout> mapLayout(const struct btf *btf);
// The same from any BTF reader: `field` gives a struct bpf_map member's
// byte offset (the runtime's probe reads the mapped vmlinux BTF itself).
Result<format::MapLayout>
mapLayout(const std::function<std::optional<uint32_t>(const char *member)> &field);

// Loads BTF from a vmlinux ELF or a raw BTF file (e.g. /sys/kernel/btf/vmlinux)
// and returns its struct bpf_map layout.
Result<format::MapLayout> mapLayoutFromFile(const std::string &path);

} // namespace bpfseal::btf_layout

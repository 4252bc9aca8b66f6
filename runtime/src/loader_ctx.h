// The context a loader runs with: libbpf's struct bpf_loader_ctx followed by
// one struct bpf_map_desc per manifest map and one struct bpf_prog_desc per
// manifest program (layouts from libbpf's skel_internal.h, docs/FORMAT.md).
#pragma once

#include "object_impl.h"

#include <cstdint>
#include <span>
#include <vector>

namespace bpfseal {

// A zeroed context for `manifest`; with `log_level` and a non-empty `log`,
// the loader writes the verifier log of the object's programs into `log`.
std::vector<uint8_t> makeLoaderCtx(const format::Manifest &manifest, uint32_t log_level,
                                   std::vector<char> &log);

// Takes ownership of every fd the loader wrote into `ctx`. Any fd that is
// not a program or map where one should be is an error (the ones already
// taken are closed).
Result<LoadedFds> collectLoaderFds(const format::Manifest &manifest, std::span<const uint8_t> ctx);

} // namespace bpfseal

// The bpfseal prologue put in front of libbpf's gen_loader program. It is part
// of the sealed format: the sealer emits it, and every reader regenerates it to
// check that a loader is exactly what the sealer produces for its declared
// kind and layout (docs/FORMAT.md "Loaders"; sealer/README.md lists it
// instruction by instruction).
//
// It only uses r0 and r2-r5 and leaves r1 (the loader context) untouched,
// because the loader starts with `r6 = r1`. Prepending keeps every relative
// jump of the loader valid (they never leave the loader), and the loader has
// no subprogram calls or pseudo-func references whose targets could move.
#pragma once

#include "bpfseal/format.h"

#include <cstdint>
#include <vector>

namespace bpfseal::format {

// A failing prologue returns a PrologueVerdict (positive) as the loader's
// retval; the loader body never returns a positive value.
struct PrologueSpec {
  LoaderKind kind = LoaderKind::KernelCheck;
  MapLayout layout;      // LoaderCheck only
  uint32_t nr_maps = 0;  // map descriptors in the loader context
  uint32_t metadata_size = 0; // LoaderCheck: expected value_size
  Sha256 metadata_sha{};      // LoaderCheck: expected map->sha
};

// The prologue's instructions (struct bpf_insn[], little endian).
std::vector<uint8_t> buildPrologue(const PrologueSpec &spec);

// The spec of `loader` in `sealed`: kind and layout from the signed manifest,
// map count, metadata size and hash from the metadata (hashed once by the
// caller: every loader of an object shares them).
PrologueSpec prologueSpecFor(const Manifest &manifest, const LoaderInfo &loader,
                             uint32_t metadata_size, const Sha256 &metadata_sha);

} // namespace bpfseal::format

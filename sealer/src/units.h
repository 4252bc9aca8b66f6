// The plugin's per-translation-unit manifests (`.bpfseal.unit`): one JSON
// object per unit, NUL-terminated and concatenated by bpf_linker, or one JSON
// array once `bpfseal link` has merged them.
#pragma once

#include "bpfseal/error.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bpfseal::sealer::units {

// Appends every unit manifest found in `section` (either form) to `out`, a
// JSON array in canonical (compact) text. `origin` names the input in errors.
Status collect(std::span<const uint8_t> section, const std::string &origin,
               std::vector<std::string> &out);

// "[u1,u2,...]" from collected units.
std::string toArray(const std::vector<std::string> &units);

// "file:line" of the program defined by function `name` in ELF section
// `section`, if exactly one unit manifest records it; "" otherwise.
std::string sourceOf(const std::vector<std::string> &units, const std::string &name,
                     const std::string &section);

} // namespace bpfseal::sealer::units

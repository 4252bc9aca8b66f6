// `bpfseal seal --set NAME=VALUE`: typed values written into the .rodata /
// .data bytes of the ELF before libbpf opens it, so the sealed ELF, the
// gen_loader blob and the signed manifest all carry the same bytes.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bpfseal::sealer {

// Patches `elf` in place; returns one BakedValue per set, in the order given.
// Errors name the variable, its type and (for range errors) the range.
Result<std::vector<format::BakedValue>> bakeValues(std::vector<uint8_t> &elf,
                                                   const std::vector<std::string> &sets);

} // namespace bpfseal::sealer

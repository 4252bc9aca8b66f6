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

// A `--set` of a __kconfig extern. .kconfig has no bytes in the ELF: libbpf
// fills it while recording, so the sealer writes `bytes` into the recorded
// .kconfig value afterwards (recording.h), at `baked.offset`.
struct KconfigValue {
  format::BakedValue baked; // section ".kconfig"
  std::vector<uint8_t> bytes;
  // A line of libbpf's kconfig syntax ("CONFIG_X=0") that lets libbpf resolve
  // the extern without reading the sealing machine's kernel config; empty
  // for libbpf's virtual LINUX_* externs, which it computes itself.
  std::string libbpf_placeholder;
};

// Patches `elf` in place; returns one BakedValue per set of a .rodata/.data
// global, in the order given, and one KconfigValue per set of a __kconfig
// extern in `kconfig`. Errors name the variable, its type and (for range
// errors) the range.
Result<std::vector<format::BakedValue>> bakeValues(std::vector<uint8_t> &elf,
                                                   const std::vector<std::string> &sets,
                                                   std::vector<KconfigValue> &kconfig);

} // namespace bpfseal::sealer

// The sealer's view of a BPF input, on top of core's ELF layer
// (bpfseal/internal/elf_image.h): checking that an input is a sound BPF ELF
// before libbpf sees it, locating sections, and replacing one section's
// contents (link's merged unit manifests).
#pragma once

#include "bpfseal/error.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bpfseal::sealer::elf {

// One line per cause: empty, not ELF, not EM_BPF, not 64-bit little endian,
// truncated headers or sections.
Status checkBpfElf(std::span<const uint8_t> bytes);

struct Section {
  std::string name;
  uint32_t index = 0;
  uint32_t type = 0;    // SHT_*
  uint64_t flags = 0;   // SHF_*
  uint64_t offset = 0;  // file offset of the contents
  uint64_t size = 0;
};
// Every section of a checked BPF ELF, in index order.
Result<std::vector<Section>> sections(std::span<const uint8_t> bytes);
std::optional<Section> findSection(const std::vector<Section> &all, const std::string &name);

// Names of the symbols in `.maps` that relocations of `.rel.maps` point into,
// i.e. maps with initial slots (`.values = { ... }`).
Result<std::vector<std::string>> mapsWithInitialSlots(std::span<const uint8_t> bytes);

// `bytes` with the contents of section `name` replaced by `contents` (the
// layout is recomputed by libelf; section indices do not change).
Result<std::vector<uint8_t>> replaceSection(std::span<const uint8_t> bytes, const std::string &name,
                                            std::span<const uint8_t> contents);

} // namespace bpfseal::sealer::elf

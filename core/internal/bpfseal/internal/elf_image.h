// bpfseal's one ELF layer for BPF objects: libelf behind RAII, a strict opener
// that refuses what the usual ELF tools refuse, section lookup, and the writer
// that copies a BPF object, replacing and appending sections. Used by the
// sealed format (core/) and the sealer (sealer/src/elf_util.cpp); internal to
// the project, never installed.
#pragma once

#include "bpfseal/error.h"

#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bpfseal::format::elf {

struct ElfCloser {
  void operator()(Elf *e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfCloser>;

// One section as the section header table describes it.
struct Section {
  size_t index = 0;
  std::string name;
  uint32_t type = 0;   // SHT_*
  uint64_t flags = 0;  // SHF_*
  uint64_t offset = 0;
  uint64_t size = 0;   // bytes in the file (0 for SHT_NOBITS)
  uint64_t sh_size = 0; // the header's size (a SHT_NOBITS section's memory size)
};

// libelf wants a mutable buffer it may keep pointers into, so readers work on
// bytes the image owns, which outlive the Elf handle.
struct Image {
  std::vector<uint8_t> bytes;
  ElfPtr elf;
  size_t shstrndx = 0;
  std::vector<Section> sections; // in index order, without the null section

  const Section *find(std::string_view name) const;
  std::span<const uint8_t> contents(const Section &s) const;
};

// Opens a 64-bit little-endian BPF ELF. Refuses a damaged header, a section
// header table or section outside the file, an e_shentsize other than
// sizeof(Elf64_Shdr), sections overlapping each other, the ELF header or the
// section header table, bad alignments and a missing section name table.
Result<Image> open(std::span<const uint8_t> file);
// The same on bytes the image takes over (no copy).
Result<Image> open(std::vector<uint8_t> &&file);

// A user-space binary (a uprobe or USDT target of the runtime), opened read
// only: the descriptor and the libelf handle over it, released together.
struct BinaryFile {
  int fd = -1;
  ElfPtr elf;
  BinaryFile() = default;
  BinaryFile(BinaryFile &&other) noexcept : fd(other.fd), elf(std::move(other.elf)) {
    other.fd = -1;
  }
  BinaryFile &operator=(BinaryFile &&) = delete;
  ~BinaryFile();
};
// `why` completes "cannot open PATH to ..." (e.g. "find FUNCTION"); `hint` is
// the hint of that error.
Result<BinaryFile> openBinary(const std::string &path, const std::string &why,
                              const std::string &hint = "");

struct NewSection {
  std::string name;
  std::vector<uint8_t> bytes;
};

// Copies every section of `base` (replacing the contents of those named in
// `overrides`) and appends `extra` as non-allocated PROGBITS sections, 8-byte
// aligned. Section indices of `base` are preserved, so symbols and
// relocations stay valid. The layout depends only on section sizes and
// alignments, so equal sizes give equal offsets.
// `drop` names sections of `base` to leave out; only trailing sections can
// be dropped (earlier indices must not move).
Result<std::vector<uint8_t>> rewrite(const Image &base,
                                     const std::map<std::string, std::vector<uint8_t>> &overrides,
                                     const std::vector<NewSection> &extra,
                                     const std::vector<std::string> &drop = {});

} // namespace bpfseal::format::elf

// Helpers for unit tests that look at sealed files with libelf directly, so a
// test does not trust the reader it tests.
#pragma once

#include <gelf.h>
#include <libelf.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bpfseal::test {

// Offset and size of the section named `want` in `file` ({0, 0}: none).
inline std::pair<size_t, size_t> sectionRange(std::vector<uint8_t> &file, const std::string &want) {
  elf_version(EV_CURRENT);
  Elf *elf = elf_memory(reinterpret_cast<char *>(file.data()), file.size());
  size_t shstrndx = 0;
  elf_getshdrstrndx(elf, &shstrndx);
  std::pair<size_t, size_t> range{0, 0};
  for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (name && want == name)
      range = {size_t(sh.sh_offset), size_t(sh.sh_size)};
  }
  elf_end(elf);
  return range;
}

} // namespace bpfseal::test

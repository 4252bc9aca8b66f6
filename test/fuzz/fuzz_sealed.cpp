// format::readSealed on arbitrary bytes, then everything a reader does with
// an object it accepted: verify every loader, describe every signature, and
// rewrite the signature sections (which must give a readable object again).
#include "common.h"

#include "bpfseal/format.h"
#include "bpfseal/signing.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <elf.h>

using namespace bpfseal;

namespace {

// The index records SHA-256s of the metadata and of each loader, so almost
// every mutation of those is refused at the hash check. A second pass on a
// copy whose index hashes are recomputed lets mutations reach the manifest
// parser, the index/manifest cross-checks and the signature code.
struct RawElf {
  std::vector<uint8_t> &b;
  const Elf64_Shdr *shdrs = nullptr;
  size_t shnum = 0;
  const Elf64_Shdr *strtab = nullptr;

  explicit RawElf(std::vector<uint8_t> &bytes) : b(bytes) {
    if (b.size() < sizeof(Elf64_Ehdr))
      return;
    Elf64_Ehdr eh;
    std::memcpy(&eh, b.data(), sizeof eh);
    if (eh.e_shoff > b.size() || eh.e_shoff % 8 ||
        uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > b.size() - eh.e_shoff ||
        eh.e_shstrndx >= eh.e_shnum)
      return;
    shdrs = reinterpret_cast<const Elf64_Shdr *>(b.data() + eh.e_shoff);
    shnum = eh.e_shnum;
    strtab = &shdrs[eh.e_shstrndx];
  }
  std::span<uint8_t> section(const std::string &name) {
    if (!strtab || strtab->sh_offset > b.size() || strtab->sh_size > b.size() - strtab->sh_offset)
      return {};
    for (size_t i = 0; i < shnum; ++i) {
      const Elf64_Shdr &sh = shdrs[i];
      if (sh.sh_name >= strtab->sh_size || strtab->sh_size - sh.sh_name < name.size() + 1 ||
          std::memcmp(b.data() + strtab->sh_offset + sh.sh_name, name.c_str(), name.size() + 1))
        continue;
      if (sh.sh_offset > b.size() || sh.sh_size > b.size() - sh.sh_offset)
        return {};
      return {b.data() + sh.sh_offset, size_t(sh.sh_size)};
    }
    return {};
  }
};

void putU32(uint8_t *p, uint32_t v) { std::memcpy(p, &v, 4); }

bool fixHashes(std::vector<uint8_t> &bytes) {
  RawElf elf(bytes);
  std::span<uint8_t> index = elf.section(format::kIndexSection);
  std::span<uint8_t> meta = elf.section(format::kMetadataSection);
  if (index.size() < 56 || meta.empty())
    return false;
  putU32(index.data() + 16, uint32_t(meta.size()));
  format::Sha256 s = format::sha256(meta);
  std::memcpy(index.data() + 24, s.data(), 32);
  for (size_t off = 56; off + 96 <= index.size(); off += 96) {
    uint8_t *e = index.data() + off;
    std::string name(reinterpret_cast<const char *>(e),
                     strnlen(reinterpret_cast<const char *>(e), 32));
    std::span<uint8_t> insns = elf.section(format::kLoaderSectionPrefix + name);
    putU32(e + 36, uint32_t(insns.size() / 8));
    format::Sha256 is = format::sha256(insns);
    std::memcpy(e + 64, is.data(), 32);
  }
  return true;
}

void exercise(std::span<const uint8_t> file);

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exercise({data, size});
  std::vector<uint8_t> fixed(data, data + size);
  if (fixHashes(fixed) && !std::equal(fixed.begin(), fixed.end(), data))
    exercise(fixed);
  return 0;
}

namespace {

void exercise(std::span<const uint8_t> file) {
  auto sealed = format::readSealed(file);
  if (!sealed) {
    // Every rejection is one line naming a cause.
    if (sealed.error().msg.empty() || sealed.error().msg.find('\n') != std::string::npos)
      std::abort();
    return;
  }
  std::vector<signing::LoaderVerdict> verdicts;
  (void)signing::verifySealed(*sealed, fuzz::identity().trust, verdicts);
  for (const format::LoaderImage &l : sealed->loaders) {
    (void)signing::describeSignature(l.signature, fuzz::identity().trust);
    (void)format::signedPayload(*sealed, l);
  }
  (void)sealed->blobSize();
  std::map<std::string, std::vector<uint8_t>> none;
  auto rewritten = format::replaceSignatures(file, none);
  if (rewritten) {
    auto again = format::readSealed(*rewritten);
    if (!again) {
      std::fprintf(stderr, "rewritten object no longer reads: %s\n", again.error().str().c_str());
      std::abort();
    }
  }
}

} // namespace

#include "elf_util.h"

#include <gelf.h>
#include <libelf.h>
#include <linux/elf-em.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace bpfseal::sealer::elf {
namespace {

constexpr char kHintCompile[] = "pass a BPF object built with clang -target bpf";
constexpr char kHintTruncated[] = "the file is truncated or damaged; rebuild it";

struct ElfCloser {
  void operator()(Elf *e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfCloser>;

Status initLibelf() {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return makeError(ENOTSUP, "libelf initialisation failed");
  return ok();
}

} // namespace

Status checkBpfElf(std::span<const uint8_t> bytes) {
  if (bytes.empty())
    return makeError(ENOEXEC, "input is empty, not an ELF object", kHintCompile);
  if (bytes.size() < SELFMAG || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    return makeError(ENOEXEC, "input is not an ELF object (bad magic)", kHintCompile);
  if (bytes.size() < sizeof(Elf64_Ehdr))
    return makeError(ENOEXEC, "input is truncated inside the ELF header", kHintTruncated);
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    // e_machine is only meaningful once class and byte order are known.
    return makeError(ENOEXEC, "input is not a 64-bit little-endian ELF object, so not a BPF "
                              "object for this host",
                     "compile with clang -target bpf (or bpfel)");
  }
  if (eh.e_machine != EM_BPF)
    return makeError(ENOEXEC,
                     "input is an ELF object for machine " + std::to_string(eh.e_machine) +
                         ", not BPF (247)",
                     "compile with clang -target bpf");
  if (eh.e_type != ET_REL)
    return makeError(ENOEXEC, "input is not a relocatable BPF object (e_type " +
                                  std::to_string(eh.e_type) + ")",
                     kHintCompile);
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
      eh.e_shoff > bytes.size() ||
      uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > bytes.size() - eh.e_shoff)
    return makeError(ENOEXEC, "input's section header table is missing or truncated",
                     kHintTruncated);
  auto all = sections(bytes);
  if (!all)
    return all.takeError();
  return ok();
}

Result<std::vector<Section>> sections(std::span<const uint8_t> bytes) {
  if (Status s = initLibelf(); !s)
    return s.takeError();
  // elf_memory wants a mutable buffer; it only reads from it here.
  std::vector<char> copy(bytes.begin(), bytes.end());
  ElfPtr e(elf_memory(copy.data(), copy.size()));
  size_t shstrndx = 0;
  if (!e || elf_kind(e.get()) != ELF_K_ELF || elf_getshdrstrndx(e.get(), &shstrndx) != 0)
    return makeError(ENOEXEC, std::string("input is not a valid ELF object: ") + elf_errmsg(-1),
                     kHintTruncated);
  std::vector<Section> out;
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(e.get(), scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh))
      return makeError(ENOEXEC, "ELF section header unreadable", kHintTruncated);
    const char *name = elf_strptr(e.get(), shstrndx, sh.sh_name);
    if (!name)
      return makeError(ENOEXEC, "ELF section " + std::to_string(elf_ndxscn(scn)) +
                                    " has no readable name", kHintTruncated);
    if (sh.sh_type != SHT_NOBITS && sh.sh_size &&
        (sh.sh_offset > bytes.size() || sh.sh_size > bytes.size() - sh.sh_offset))
      return makeError(ENOEXEC, std::string("ELF section '") + name +
                                    "' extends past the end of the file",
                       kHintTruncated);
    out.push_back({name, uint32_t(elf_ndxscn(scn)), sh.sh_type, sh.sh_flags, sh.sh_offset,
                   sh.sh_size});
  }
  return out;
}

std::optional<Section> findSection(const std::vector<Section> &all, const std::string &name) {
  for (const Section &s : all)
    if (s.name == name)
      return s;
  return std::nullopt;
}

Result<std::vector<std::string>> mapsWithInitialSlots(std::span<const uint8_t> bytes) {
  if (Status s = initLibelf(); !s)
    return s.takeError();
  std::vector<char> copy(bytes.begin(), bytes.end());
  ElfPtr e(elf_memory(copy.data(), copy.size()));
  size_t shstrndx = 0;
  if (!e || elf_getshdrstrndx(e.get(), &shstrndx) != 0)
    return makeError(ENOEXEC, std::string("libelf: ") + elf_errmsg(-1));
  std::vector<std::string> names;
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(e.get(), scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL)
      continue;
    const char *n = elf_strptr(e.get(), shstrndx, sh.sh_name);
    if (!n || std::strcmp(n, ".rel.maps") != 0)
      continue;
    Elf_Scn *symscn = elf_getscn(e.get(), sh.sh_link);
    GElf_Shdr symsh;
    Elf_Data *rels = elf_getdata(scn, nullptr);
    Elf_Data *syms = symscn ? elf_getdata(symscn, nullptr) : nullptr;
    if (!rels || !syms || !gelf_getshdr(symscn, &symsh))
      continue;
    size_t nrels = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    size_t nsyms = symsh.sh_entsize ? symsh.sh_size / symsh.sh_entsize : 0;
    for (size_t i = 0; i < nrels; ++i) {
      GElf_Rel rel;
      if (!gelf_getrel(rels, int(i), &rel))
        continue;
      for (size_t j = 0; j < nsyms; ++j) {
        GElf_Sym sym;
        if (!gelf_getsym(syms, int(j), &sym) || sym.st_shndx != sh.sh_info ||
            GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
          continue;
        if (rel.r_offset >= sym.st_value && rel.r_offset < sym.st_value + sym.st_size) {
          const char *sn = elf_strptr(e.get(), symsh.sh_link, sym.st_name);
          if (sn && std::find(names.begin(), names.end(), sn) == names.end())
            names.push_back(sn);
        }
      }
    }
  }
  return names;
}

Result<std::vector<uint8_t>> replaceSection(std::span<const uint8_t> bytes,
                                            const std::string &name,
                                            std::span<const uint8_t> contents) {
  if (Status s = initLibelf(); !s)
    return s.takeError();
  int fd = memfd_create("bpfseal-link", MFD_CLOEXEC);
  if (fd < 0)
    return makeError(errno, "memfd_create failed");
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0)
      return makeError(errno, "writing a temporary ELF image failed");
    off += size_t(n);
  }
  std::vector<uint8_t> data(contents.begin(), contents.end());
  {
    ElfPtr e(elf_begin(fd, ELF_C_RDWR, nullptr));
    size_t shstrndx = 0;
    if (!e || elf_getshdrstrndx(e.get(), &shstrndx) != 0)
      return makeError(ENOEXEC, std::string("libelf cannot open the linked object: ") +
                                    elf_errmsg(-1));
    Elf_Scn *target = nullptr;
    for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(e.get(), scn));) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh))
        continue;
      const char *n = elf_strptr(e.get(), shstrndx, sh.sh_name);
      if (n && name == n)
        target = scn;
    }
    if (!target)
      return makeError(ENOENT, "no section '" + name + "' to replace");
    Elf_Data *d = elf_getdata(target, nullptr);
    if (!d)
      return makeError(ENOEXEC, std::string("libelf: ") + elf_errmsg(-1));
    d->d_buf = data.data();
    d->d_size = data.size();
    d->d_type = ELF_T_BYTE;
    elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
    if (elf_update(e.get(), ELF_C_WRITE) < 0)
      return makeError(EIO, std::string("libelf cannot write the linked object: ") +
                                elf_errmsg(-1));
  }
  struct stat st;
  if (fstat(fd, &st) != 0)
    return makeError(errno, "fstat of the temporary ELF image failed");
  std::vector<uint8_t> out(size_t(st.st_size));
  if (pread(fd, out.data(), out.size(), 0) != ssize_t(out.size()))
    return makeError(EIO, "reading back the temporary ELF image failed");
  return out;
}

} // namespace bpfseal::sealer::elf

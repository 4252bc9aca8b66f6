// The sealer's checks of a BPF input on top of bpfseal's one ELF layer
// (core/internal/bpfseal/internal/elf_image.h): opening, section lists and
// rewriting go through it; what is here is what libbpf 1.1 needs checked
// before it parses an object (symbols, relocations, BTF).
#include "elf_util.h"

#include "bpfseal/internal/elf_image.h"

#include <gelf.h>
#include <linux/btf.h>
#include <linux/elf-em.h>

#include <algorithm>
#include <cstring>

namespace bpfseal::sealer::elf {
namespace {

constexpr char kHintCompile[] = "pass a BPF object built with clang -target bpf";
constexpr char kHintTruncated[] = "the file is truncated or damaged; rebuild it";

namespace core_elf = bpfseal::format::elf;

Error damaged(const std::string &what) {
  return makeError(ENOEXEC, "input is a damaged BPF object: " + what, kHintTruncated);
}

template <typename T> T readAt(std::span<const uint8_t> bytes, uint64_t off) {
  T v;
  std::memcpy(&v, bytes.data() + off, sizeof v);
  return v;
}

std::span<const uint8_t> contents(std::span<const uint8_t> bytes, const Section &s) {
  // sections() checked that non-empty contents lie inside the file.
  if (s.type == SHT_NOBITS || s.size == 0)
    return {};
  return bytes.subspan(s.offset, s.size);
}

// libbpf 1.1's ELF and BTF parsing trusts symbol indices, string offsets,
// section links and BTF header offsets. These are the checks it skips or
// makes only after using the value, done up front so a damaged object gets
// one line naming the section instead of a crash inside bpf_object__open.
Status checkSymbolsAndRelocations(std::span<const uint8_t> bytes, const std::vector<Section> &all) {
  const Section *symtab = nullptr;
  for (const Section &s : all)
    if (s.type == SHT_SYMTAB) {
      if (symtab)
        return damaged("it has more than one symbol table");
      symtab = &s;
    }
  if (!symtab)
    return ok(); // libbpf reports a missing symbol table itself
  Elf64_Shdr sh = readAt<Elf64_Shdr>(bytes, readAt<Elf64_Ehdr>(bytes, 0).e_shoff +
                                                uint64_t(symtab->index) * sizeof(Elf64_Shdr));
  if (sh.sh_entsize != sizeof(Elf64_Sym) || symtab->size % sizeof(Elf64_Sym))
    return damaged("section '" + symtab->name + "' is not a whole number of ELF64 symbols");
  if (sh.sh_link == 0 || sh.sh_link >= all.size() + 1 || all[sh.sh_link - 1].type != SHT_STRTAB)
    return damaged("section '" + symtab->name + "' does not link to a string table");
  const Section &strtab = all[sh.sh_link - 1];
  size_t nsyms = symtab->size / sizeof(Elf64_Sym);
  std::span<const uint8_t> syms = contents(bytes, *symtab);
  std::span<const uint8_t> strs = contents(bytes, strtab);
  if (strs.empty() || strs.back() != 0)
    return damaged("string table '" + strtab.name + "' is not NUL-terminated");
  for (size_t i = 0; i < nsyms; ++i) {
    Elf64_Sym sym = readAt<Elf64_Sym>(syms, i * sizeof(Elf64_Sym));
    if (sym.st_name >= strs.size())
      return damaged("symbol " + std::to_string(i) + " of '" + symtab->name +
                     "' has a name outside '" + strtab.name + "'");
    // Of the reserved indices only ABS and COMMON mean anything in a BPF
    // object; libbpf's linker indexes its section table with the others.
    if (sym.st_shndx >= all.size() + 1 && sym.st_shndx != SHN_ABS && sym.st_shndx != SHN_COMMON)
      return damaged("symbol " + std::to_string(i) + " of '" + symtab->name +
                     "' refers to section " + std::to_string(sym.st_shndx) +
                     ", which does not exist");
  }
  for (const Section &s : all) {
    if (s.type != SHT_REL)
      continue;
    Elf64_Shdr rsh = readAt<Elf64_Shdr>(bytes, readAt<Elf64_Ehdr>(bytes, 0).e_shoff +
                                                   uint64_t(s.index) * sizeof(Elf64_Shdr));
    if (rsh.sh_entsize != sizeof(Elf64_Rel) || s.size % sizeof(Elf64_Rel))
      return damaged("relocation section '" + s.name + "' is not a whole number of entries");
    if (rsh.sh_link != symtab->index)
      return damaged("relocation section '" + s.name + "' does not use the symbol table");
    if (rsh.sh_info == 0 || rsh.sh_info >= all.size() + 1)
      return damaged("relocation section '" + s.name + "' applies to section " +
                     std::to_string(rsh.sh_info) + ", which does not exist");
    std::span<const uint8_t> rels = contents(bytes, s);
    const Section &target = all[rsh.sh_info - 1];
    for (size_t i = 0; i < s.size / sizeof(Elf64_Rel); ++i) {
      Elf64_Rel rel = readAt<Elf64_Rel>(rels, i * sizeof(Elf64_Rel));
      if (ELF64_R_SYM(rel.r_info) >= nsyms)
        return damaged("relocation " + std::to_string(i) + " of '" + s.name + "' names symbol " +
                       std::to_string(ELF64_R_SYM(rel.r_info)) + " of " + std::to_string(nsyms));
      if (target.type != SHT_NOBITS && rel.r_offset >= target.size)
        return damaged("relocation " + std::to_string(i) + " of '" + s.name + "' points outside '" +
                       target.name + "'");
    }
  }
  return ok();
}

// libbpf 1.1 indexes its type table with every type id a BTF type refers to
// (member types, array element/index types, pointees, DATASEC variables)
// without a bounds check, so a flipped byte in a type id crashes
// bpf_object__open. Walks the type section once: sizes, name offsets and
// referenced ids must all be in range.
Status checkBtfTypes(const std::string &sec, std::span<const uint8_t> d, uint32_t hdr_len) {
  uint64_t type_off = hdr_len + uint64_t(readAt<uint32_t>(d, 8));
  uint64_t type_len = readAt<uint32_t>(d, 12);
  uint64_t str_off = hdr_len + uint64_t(readAt<uint32_t>(d, 16));
  uint64_t str_len = readAt<uint32_t>(d, 20);
  if (str_len == 0 || d[str_off + str_len - 1] != 0)
    return damaged("section '" + sec + "' string table is not NUL-terminated");
  std::vector<uint32_t> refs; // referenced type ids, checked once all are counted
  uint64_t p = type_off, end = type_off + type_len;
  uint32_t count = 0; // types seen; ids are 1..count (0 is void)
  auto name = [&](uint32_t off) { return off < str_len; };
  while (p < end) {
    if (end - p < 12)
      return damaged("section '" + sec + "' ends inside a type");
    uint32_t name_off = readAt<uint32_t>(d, p), info = readAt<uint32_t>(d, p + 4);
    uint32_t size_or_type = readAt<uint32_t>(d, p + 8);
    uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
    ++count;
    if (!name(name_off))
      return damaged("section '" + sec + "' type " + std::to_string(count) +
                     " has a name outside the string table");
    uint64_t extra = 0, member = 0; // bytes after struct btf_type
    switch (kind) {
    case BTF_KIND_INT: extra = 4; break;
    case BTF_KIND_PTR:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_FUNC:
    case BTF_KIND_TYPE_TAG: refs.push_back(size_or_type); break;
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
      refs.push_back(size_or_type);
      extra = 4;
      break;
    case BTF_KIND_ARRAY: extra = 12; break;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: member = 12; break;
    case BTF_KIND_ENUM: member = 8; break;
    case BTF_KIND_ENUM64: member = 12; break;
    case BTF_KIND_FUNC_PROTO:
      refs.push_back(size_or_type);
      member = 8;
      break;
    case BTF_KIND_DATASEC: member = 12; break;
    case BTF_KIND_FWD:
    case BTF_KIND_FLOAT: break;
    default:
      return damaged("section '" + sec + "' type " + std::to_string(count) +
                     " has unknown BTF kind " + std::to_string(kind));
    }
    extra += member * vlen;
    p += 12;
    if (end - p < extra)
      return damaged("section '" + sec + "' ends inside type " + std::to_string(count));
    if (kind == BTF_KIND_ARRAY) {
      refs.push_back(readAt<uint32_t>(d, p));     // element type
      refs.push_back(readAt<uint32_t>(d, p + 4)); // index type
    }
    for (uint32_t i = 0; member && i < vlen; ++i) {
      uint64_t m = p + i * member;
      switch (kind) {
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
      case BTF_KIND_FUNC_PROTO: refs.push_back(readAt<uint32_t>(d, m + 4)); [[fallthrough]];
      case BTF_KIND_ENUM:
      case BTF_KIND_ENUM64:
        if (!name(readAt<uint32_t>(d, m)))
          return damaged("section '" + sec + "' type " + std::to_string(count) +
                         " has a member name outside the string table");
        break;
      case BTF_KIND_DATASEC: refs.push_back(readAt<uint32_t>(d, m)); break;
      }
    }
    p += extra;
  }
  for (uint32_t id : refs)
    if (id > count)
      return damaged("section '" + sec + "' refers to type id " + std::to_string(id) +
                     " but has only " + std::to_string(count) + " types");
  return ok();
}

// Offsets and lengths of a BTF or BTF.ext header's sub-sections must lie
// inside the section (libbpf 1.1 checks some only after reading through them).
Status checkBtf(std::span<const uint8_t> bytes, const std::vector<Section> &all) {
  for (const Section &s : all) {
    if (s.name != ".BTF" && s.name != ".BTF.ext")
      continue;
    std::span<const uint8_t> d = contents(bytes, s);
    bool ext = s.name == ".BTF.ext";
    size_t min_hdr = ext ? 24 : sizeof(btf_header);
    if (d.size() < min_hdr)
      return damaged("section '" + s.name + "' is smaller than its header");
    if (readAt<uint16_t>(d, 0) != BTF_MAGIC)
      return damaged("section '" + s.name + "' has no BTF magic (wrong byte order?)");
    if (d[2] != BTF_VERSION)
      return damaged("section '" + s.name + "' has BTF version " + std::to_string(d[2]));
    uint32_t hdr_len = readAt<uint32_t>(d, 4);
    if (hdr_len < min_hdr || hdr_len > d.size())
      return damaged("section '" + s.name + "' has a header length outside the section");
    uint64_t body = d.size() - hdr_len;
    // BTF: type_off type_len str_off str_len; BTF.ext: func_info, line_info
    // and (hdr_len >= 32) core_relo offset/length pairs.
    size_t pairs = ext ? (hdr_len >= 32 ? 3 : 2) : 2;
    for (size_t i = 0; i < pairs; ++i) {
      uint64_t off = readAt<uint32_t>(d, 8 + 8 * i), len = readAt<uint32_t>(d, 12 + 8 * i);
      if (off > body || len > body - off)
        return damaged("section '" + s.name + "' header points past the end of the section");
    }
    if (!ext)
      if (Status st = checkBtfTypes(s.name, d, hdr_len); !st)
        return st;
  }
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
    return makeError(ENOEXEC,
                     "input is not a 64-bit little-endian ELF object, so not a BPF "
                     "object for this host",
                     "compile with clang -target bpf (or bpfel)");
  }
  if (eh.e_machine != EM_BPF)
    return makeError(ENOEXEC,
                     "input is an ELF object for machine " + std::to_string(eh.e_machine) +
                         ", not BPF (247)",
                     "compile with clang -target bpf");
  if (eh.e_type != ET_REL)
    return makeError(ENOEXEC,
                     "input is not a relocatable BPF object (e_type " + std::to_string(eh.e_type) +
                         ")",
                     kHintCompile);
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shoff > bytes.size() ||
      uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr) > bytes.size() - eh.e_shoff)
    return makeError(ENOEXEC, "input's section header table is missing or truncated",
                     kHintTruncated);
  if (eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum)
    return makeError(ENOEXEC,
                     "input's section name table index " + std::to_string(eh.e_shstrndx) +
                         " is out of range",
                     kHintTruncated);
  auto all = sections(bytes);
  if (!all)
    return all.takeError();
  if (Status st = checkSymbolsAndRelocations(bytes, *all); !st)
    return st;
  if (Status st = checkBtf(bytes, *all); !st)
    return st;
  return ok();
}

Result<std::vector<Section>> sections(std::span<const uint8_t> bytes) {
  auto img = core_elf::open(bytes);
  if (!img)
    return img.takeError();
  std::vector<Section> out;
  for (const core_elf::Section &s : img->sections)
    out.push_back({s.name, uint32_t(s.index), s.type, s.flags, s.offset, s.sh_size});
  return out;
}

std::optional<Section> findSection(const std::vector<Section> &all, const std::string &name) {
  for (const Section &s : all)
    if (s.name == name)
      return s;
  return std::nullopt;
}

Result<std::vector<std::string>> mapsWithInitialSlots(std::span<const uint8_t> bytes) {
  auto img = core_elf::open(bytes);
  if (!img)
    return img.takeError();
  Elf *e = img->elf.get();
  const size_t shstrndx = img->shstrndx;
  std::vector<std::string> names;
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(e, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL)
      continue;
    const char *n = elf_strptr(e, shstrndx, sh.sh_name);
    if (!n || std::strcmp(n, ".rel.maps") != 0)
      continue;
    Elf_Scn *symscn = elf_getscn(e, sh.sh_link);
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
          const char *sn = elf_strptr(e, symsh.sh_link, sym.st_name);
          if (sn && std::find(names.begin(), names.end(), sn) == names.end())
            names.push_back(sn);
        }
      }
    }
  }
  return names;
}

Result<std::vector<uint8_t>> replaceSection(std::span<const uint8_t> bytes, const std::string &name,
                                            std::span<const uint8_t> contents) {
  auto img = core_elf::open(bytes);
  if (!img)
    return img.takeError();
  if (!img->find(name))
    return makeError(ENOENT, "no section '" + name + "' to replace");
  return core_elf::rewrite(*img, {{name, std::vector<uint8_t>(contents.begin(), contents.end())}},
                           {});
}

} // namespace bpfseal::sealer::elf

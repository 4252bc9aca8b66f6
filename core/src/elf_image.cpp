#include "bpfseal/internal/elf_image.h"
#include "bpfseal/format.h"

#include <fcntl.h>
#include <linux/elf-em.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace bpfseal::format::elf {
namespace {

constexpr uint64_t kMaxSectionAlign = 4096;

Error notElf(std::string what, std::string hint = "the file may be truncated; rebuild it") {
  return makeError(ENOEXEC, std::move(what), std::move(hint));
}

std::string secName(size_t index) { return "ELF section " + std::to_string(index); }

// A section's name for a message: from the file, so escaped and cut short.
std::string secName(size_t index, const char *name) {
  if (!name)
    return secName(index);
  std::string_view n(name);
  std::string shown = format::escapeText(n.substr(0, 64));
  return "ELF section '" + shown + (n.size() > 64 ? "...'" : "'");
}

} // namespace

const Section *Image::find(std::string_view name) const {
  for (const Section &s : sections)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::span<const uint8_t> Image::contents(const Section &s) const {
  if (!s.size)
    return {};
  return {reinterpret_cast<const uint8_t *>(bytes.data()) + s.offset, size_t(s.size)};
}

Result<Image> open(std::span<const uint8_t> file) {
  return open(std::vector<uint8_t>(file.begin(), file.end()));
}

Result<Image> open(std::vector<uint8_t> &&owned) {
  Image img;
  img.bytes = std::move(owned);
  std::span<const uint8_t> file(img.bytes);
  if (elf_version(EV_CURRENT) == EV_NONE)
    return makeError(ENOTSUP, "libelf initialisation failed");
  if (file.empty())
    return notElf("input is empty, not an ELF object",
                  "pass a BPF object built with clang -target bpf");
  if (file.size() < 4 || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0)
    return notElf("input is not an ELF object (bad magic)",
                  "pass a BPF object built with clang -target bpf");
  img.elf.reset(elf_memory(reinterpret_cast<char *>(img.bytes.data()), img.bytes.size()));
  GElf_Ehdr ehdr;
  if (!img.elf || elf_kind(img.elf.get()) != ELF_K_ELF || !gelf_getehdr(img.elf.get(), &ehdr))
    return notElf(std::string("input is not a valid ELF object: ") + elf_errmsg(-1));
  if (ehdr.e_machine != EM_BPF)
    return notElf("input is an ELF object for machine " + std::to_string(ehdr.e_machine) +
                      ", not BPF",
                  "compile with clang -target bpf");
  // What llvm-readelf and libbpf take for granted: 64-bit little endian, the
  // header sizes of that class.
  if (gelf_getclass(img.elf.get()) != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
    return notElf("ELF object is not 64-bit little endian (BPF objects for this host are)",
                  "compile with clang -target bpf (or bpfel)");
  // A BPF object is relocatable: it has no segments. A program header table
  // would be bytes llvm-readelf interprets and no section accounts for.
  if (ehdr.e_phnum || ehdr.e_phoff)
    return notElf("ELF object has a program header table (e_phoff " + std::to_string(ehdr.e_phoff) +
                      ", e_phnum " + std::to_string(ehdr.e_phnum) + "); BPF objects have none",
                  "pass the relocatable BPF object clang -target bpf -c produced");
  if (ehdr.e_ehsize != sizeof(Elf64_Ehdr) || ehdr.e_shentsize != sizeof(Elf64_Shdr))
    return notElf("ELF header sizes are wrong (e_ehsize " + std::to_string(ehdr.e_ehsize) +
                      ", e_shentsize " + std::to_string(ehdr.e_shentsize) + ")",
                  "the ELF header is damaged; rebuild the object");
  size_t shnum = 0;
  if (elf_getshdrstrndx(img.elf.get(), &img.shstrndx) != 0 ||
      elf_getshdrnum(img.elf.get(), &shnum) != 0)
    return notElf("ELF object has no section name table");
  // libelf reports 0 sections when their headers lie outside the buffer.
  shnum = std::max<size_t>(shnum, ehdr.e_shnum);
  if (ehdr.e_shoff > file.size() || uint64_t(shnum) * ehdr.e_shentsize > file.size() - ehdr.e_shoff)
    return notElf("ELF section header table (" + std::to_string(shnum) + " entries at offset " +
                      std::to_string(ehdr.e_shoff) + ") extends past the end of the file",
                  "the file is truncated; rebuild or re-copy it");
  // libelf returns e_shstrndx unchecked; everything below needs the table.
  GElf_Shdr strsh;
  Elf_Scn *strscn =
      img.shstrndx && img.shstrndx < shnum ? elf_getscn(img.elf.get(), img.shstrndx) : nullptr;
  if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB)
    return notElf("ELF section name table index " + std::to_string(img.shstrndx) +
                      " does not name a string table section",
                  "the ELF header is damaged; rebuild the object");

  // Byte ranges that must not overlap: the ELF header, the section header
  // table and every section with file contents. Two tools would otherwise
  // see different bytes under one name, and the file digest could not say
  // which section a byte belongs to.
  struct Range {
    uint64_t begin, end;
    std::string what;
  };
  std::vector<Range> ranges = {{0, sizeof(Elf64_Ehdr), "the ELF header"},
                               {ehdr.e_shoff, ehdr.e_shoff + uint64_t(shnum) * ehdr.e_shentsize,
                                "the section header table"}};
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(img.elf.get(), scn));) {
    GElf_Shdr sh;
    size_t index = elf_ndxscn(scn);
    if (!gelf_getshdr(scn, &sh))
      return notElf("ELF section header unreadable");
    const char *name = elf_strptr(img.elf.get(), img.shstrndx, sh.sh_name);
    if (sh.sh_type != SHT_NOBITS && sh.sh_size &&
        (sh.sh_offset > file.size() || sh.sh_size > file.size() - sh.sh_offset))
      return notElf(secName(index, name) + " extends past the end of the file",
                    "the file is truncated; rebuild or re-copy it");
    // libelf lays out rewritten files by alignment: 2^50 would mean
    // writing a petabyte of padding (sign and seal rewrite the object).
    if (sh.sh_addralign > kMaxSectionAlign || (sh.sh_addralign & (sh.sh_addralign - 1)))
      return notElf(secName(index, name) + " has alignment " + std::to_string(sh.sh_addralign) +
                        " (not a power of two up to 4096)",
                    "the ELF object is damaged; rebuild it");
    if (!name)
      return notElf(secName(index) + " has a name outside the section name table",
                    "the ELF object is damaged; rebuild it");
    Section s;
    s.index = index;
    s.name = name;
    s.type = sh.sh_type;
    s.flags = sh.sh_flags;
    s.offset = sh.sh_offset;
    s.sh_size = sh.sh_size;
    s.size = sh.sh_type == SHT_NOBITS ? 0 : sh.sh_size;
    if (s.size)
      ranges.push_back({s.offset, s.offset + s.size, secName(index)});
    img.sections.push_back(std::move(s));
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range &a, const Range &b) { return a.begin < b.begin; });
  const Range *furthest = nullptr; // of the ranges so far, the one ending last
  for (const Range &r : ranges) {
    if (r.end <= r.begin)
      continue;
    if (furthest && r.begin < furthest->end)
      return notElf(furthest->what + " and " + r.what + " overlap in the file",
                    "the ELF object is damaged or crafted; rebuild it");
    if (!furthest || r.end > furthest->end)
      furthest = &r;
  }
  return img;
}

BinaryFile::~BinaryFile() {
  elf.reset(); // before the descriptor it reads from
  if (fd >= 0)
    ::close(fd);
}

Result<BinaryFile> openBinary(const std::string &path, const std::string &why,
                              const std::string &hint) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return makeError(ENOTSUP, "libelf initialisation failed");
  BinaryFile bin;
  bin.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (bin.fd < 0)
    return makeError(errno, "cannot open " + format::escapeText(path) + " to " + why, hint);
  bin.elf.reset(elf_begin(bin.fd, ELF_C_READ, nullptr));
  if (!bin.elf || elf_kind(bin.elf.get()) != ELF_K_ELF)
    return makeError(ENOEXEC, format::escapeText(path) + " is not an ELF file: " + elf_errmsg(-1),
                     "give the path of an ELF executable or shared library");
  return bin;
}

Result<std::vector<uint8_t>> rewrite(const Image &base,
                                     const std::map<std::string, std::vector<uint8_t>> &overrides,
                                     const std::vector<NewSection> &extra,
                                     const std::vector<std::string> &drop) {
  size_t kept = 0; // sections before the first dropped one
  for (const Section &s : base.sections) {
    if (std::find(drop.begin(), drop.end(), s.name) != drop.end())
      break;
    ++kept;
  }
  for (size_t i = kept; i < base.sections.size(); ++i)
    if (std::find(drop.begin(), drop.end(), base.sections[i].name) == drop.end())
      return makeError(EINVAL,
                       "ELF writer: section '" + format::escapeText(base.sections[i].name) +
                           "' follows a dropped section (only trailing sections can be dropped)");
  if (base.shstrndx > kept)
    return makeError(EINVAL, "ELF writer: the section name table would be dropped");
  int fd = memfd_create("bpfseal-elf", MFD_CLOEXEC);
  if (fd < 0)
    return makeError(errno, "cannot create an in-memory file for the ELF writer");
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};

  ElfPtr out(elf_begin(fd, ELF_C_WRITE, nullptr));
  GElf_Ehdr in_ehdr;
  if (!out || !gelf_getehdr(base.elf.get(), &in_ehdr) ||
      !gelf_newehdr(out.get(), gelf_getclass(base.elf.get())))
    return makeError(EIO, std::string("ELF writer: ") + elf_errmsg(-1));

  // Section name table, extended with the names of the appended sections.
  Elf_Scn *in_shstr = elf_getscn(base.elf.get(), base.shstrndx);
  Elf_Data *in_shstr_data = elf_getdata(in_shstr, nullptr);
  if (!in_shstr_data || (!in_shstr_data->d_buf && in_shstr_data->d_size))
    return notElf("ELF section name table is unreadable");
  std::vector<uint8_t> shstrtab(static_cast<const uint8_t *>(in_shstr_data->d_buf),
                                static_cast<const uint8_t *>(in_shstr_data->d_buf) +
                                    in_shstr_data->d_size);
  std::vector<size_t> extra_name_off;
  for (const NewSection &s : extra) {
    extra_name_off.push_back(shstrtab.size());
    shstrtab.insert(shstrtab.end(), s.name.begin(), s.name.end());
    shstrtab.push_back(0);
  }

  // Keep owned copies alive until elf_update has written the file.
  std::vector<std::vector<uint8_t>> keep;
  auto addData = [&](Elf_Scn *scn, const void *buf, size_t size, size_t align, Elf_Type type) {
    Elf_Data *d = elf_newdata(scn);
    keep.emplace_back(static_cast<const uint8_t *>(buf), static_cast<const uint8_t *>(buf) + size);
    d->d_buf = size ? keep.back().data() : nullptr;
    d->d_size = size;
    d->d_align = align ? align : 1;
    d->d_type = type;
    d->d_version = EV_CURRENT;
    return d;
  };

  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(base.elf.get(), scn));) {
    if (elf_ndxscn(scn) > kept)
      break; // dropped (trailing)
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    Elf_Scn *nscn = elf_newscn(out.get());
    if (!nscn)
      return makeError(EIO, std::string("ELF writer: ") + elf_errmsg(-1));
    const char *name = elf_strptr(base.elf.get(), base.shstrndx, sh.sh_name);
    Elf_Data *d = elf_getdata(scn, nullptr);
    auto ov = name ? overrides.find(name) : overrides.end();
    if (elf_ndxscn(scn) == base.shstrndx) {
      addData(nscn, shstrtab.data(), shstrtab.size(), 1, ELF_T_BYTE);
      sh.sh_size = shstrtab.size();
    } else if (ov != overrides.end()) {
      if (sh.sh_type == SHT_NOBITS)
        return makeError(EINVAL, std::string("cannot set contents of NOBITS section ") + name);
      addData(nscn, ov->second.data(), ov->second.size(), d ? d->d_align : sh.sh_addralign,
              ELF_T_BYTE);
      sh.sh_size = ov->second.size();
    } else if (d) {
      Elf_Data *nd = elf_newdata(nscn);
      *nd = *d;
      if (sh.sh_type != SHT_NOBITS && d->d_buf) {
        keep.emplace_back(static_cast<const uint8_t *>(d->d_buf),
                          static_cast<const uint8_t *>(d->d_buf) + d->d_size);
        nd->d_buf = keep.back().data();
      }
    }
    if (!gelf_update_shdr(nscn, &sh))
      return makeError(EIO, std::string("ELF writer: ") + elf_errmsg(-1));
  }
  for (size_t i = 0; i < extra.size(); ++i) {
    Elf_Scn *nscn = elf_newscn(out.get());
    GElf_Shdr sh{};
    sh.sh_name = extra_name_off[i];
    sh.sh_type = SHT_PROGBITS;
    sh.sh_addralign = 8;
    sh.sh_size = extra[i].bytes.size();
    addData(nscn, extra[i].bytes.data(), extra[i].bytes.size(), 8, ELF_T_BYTE);
    if (!gelf_update_shdr(nscn, &sh))
      return makeError(EIO, std::string("ELF writer: ") + elf_errmsg(-1));
  }

  GElf_Ehdr ehdr = in_ehdr;
  ehdr.e_shoff = 0; // laid out by libelf
  ehdr.e_phoff = 0; // open() refused any program header table
  ehdr.e_phnum = 0;
  if (base.shstrndx >= SHN_LORESERVE)
    return makeError(E2BIG, "ELF object has too many sections for bpfseal");
  ehdr.e_shstrndx = base.shstrndx;
  if (!gelf_update_ehdr(out.get(), &ehdr))
    return makeError(EIO, std::string("ELF writer: ") + elf_errmsg(-1));
  if (elf_update(out.get(), ELF_C_WRITE) < 0)
    return makeError(EIO, std::string("ELF writer: ") + elf_errmsg(-1));
  out.reset();

  struct stat st;
  if (fstat(fd, &st) != 0)
    return makeError(errno, "ELF writer: cannot stat the output");
  std::vector<uint8_t> bytes(st.st_size);
  if (pread(fd, bytes.data(), bytes.size(), 0) != ssize_t(bytes.size()))
    return makeError(EIO, "ELF writer: short read of the output");
  return bytes;
}

} // namespace bpfseal::format::elf

#include "bpfseal/format.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/elf-em.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <set>

namespace bpfseal::format {
namespace {

using ojson = nlohmann::ordered_json;

constexpr char kIndexMagic[8] = {'B', 'P', 'F', 'S', 'E', 'A', 'L', '\0'};
constexpr size_t kIndexHeaderSize = 56;
constexpr size_t kIndexEntrySize = 96;
constexpr size_t kTrailerSize = 16;
constexpr size_t kMaxManifestSize = 16u << 20;
constexpr uint64_t kMaxSectionAlign = 4096;
constexpr uint64_t kMaxInputFile = 1ull << 30; // vmlinux with DWARF fits
// The manifest nests 5 levels deep (units add a few); nlohmann's parser is
// iterative but copying, dumping and destroying a value recurse, so a hostile
// "[[[[..." must be refused before it is built.
constexpr int kMaxJsonDepth = 64;

Error malformed(std::string what) {
  return makeError(EBADMSG, "malformed sealed object: " + std::move(what),
                   "re-seal the object with 'bpfseal seal'; it was damaged or "
                   "tampered with");
}

void putU32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}

uint32_t getU32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}

// --- ELF access through libelf -------------------------------------------

struct ElfCloser {
  void operator()(Elf *e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfCloser>;

// libelf wants a mutable buffer it may keep pointers into, so readers work on
// a private copy that outlives the Elf handle.
struct ElfImage {
  std::vector<char> bytes;
  ElfPtr elf;
  size_t shstrndx = 0;
};

Result<ElfImage> openElf(std::span<const uint8_t> file) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return makeError(ENOTSUP, "libelf initialisation failed");
  if (file.empty())
    return makeError(ENOEXEC, "input is empty, not an ELF object",
                     "pass a BPF object built with clang -target bpf");
  if (file.size() < 4 || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0)
    return makeError(ENOEXEC, "input is not an ELF object (bad magic)",
                     "pass a BPF object built with clang -target bpf");
  ElfImage img;
  img.bytes.assign(file.begin(), file.end());
  img.elf.reset(elf_memory(img.bytes.data(), img.bytes.size()));
  GElf_Ehdr ehdr;
  if (!img.elf || elf_kind(img.elf.get()) != ELF_K_ELF ||
      !gelf_getehdr(img.elf.get(), &ehdr))
    return makeError(ENOEXEC,
                     std::string("input is not a valid ELF object: ") +
                         elf_errmsg(-1),
                     "the file may be truncated; rebuild it");
  if (ehdr.e_machine != EM_BPF)
    return makeError(ENOEXEC,
                     "input is an ELF object for machine " +
                         std::to_string(ehdr.e_machine) + ", not BPF",
                     "compile with clang -target bpf");
  size_t shnum = 0;
  if (elf_getshdrstrndx(img.elf.get(), &img.shstrndx) != 0 ||
      elf_getshdrnum(img.elf.get(), &shnum) != 0)
    return makeError(ENOEXEC, "ELF object has no section name table",
                     "the file may be truncated; rebuild it");
  // libelf reports 0 sections when their headers lie outside the buffer.
  shnum = std::max<size_t>(shnum, ehdr.e_shnum);
  if (ehdr.e_shoff > file.size() ||
      uint64_t(shnum) * ehdr.e_shentsize > file.size() - ehdr.e_shoff)
    return makeError(ENOEXEC,
                     "ELF section header table (" + std::to_string(shnum) +
                         " entries at offset " + std::to_string(ehdr.e_shoff) +
                         ") extends past the end of the file",
                     "the file is truncated; rebuild or re-copy it");
  // libelf returns e_shstrndx unchecked; everything below needs the table.
  GElf_Shdr strsh;
  Elf_Scn *strscn = img.shstrndx && img.shstrndx < shnum
                        ? elf_getscn(img.elf.get(), img.shstrndx)
                        : nullptr;
  if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB)
    return makeError(ENOEXEC,
                     "ELF section name table index " +
                         std::to_string(img.shstrndx) +
                         " does not name a string table section",
                     "the ELF header is damaged; rebuild the object");
  // Touch every section once so truncation is reported here, as one error.
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(img.elf.get(), scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh))
      return makeError(ENOEXEC, "ELF section header unreadable",
                       "the file may be truncated; rebuild it");
    if (sh.sh_type != SHT_NOBITS && sh.sh_size &&
        (sh.sh_offset > file.size() || sh.sh_size > file.size() - sh.sh_offset))
      return makeError(ENOEXEC,
                       "ELF section " + std::to_string(elf_ndxscn(scn)) +
                           " extends past the end of the file",
                       "the file is truncated; rebuild or re-copy it");
    // libelf lays out rewritten files by alignment: 2^50 would mean
    // writing a petabyte of padding (sign and seal rewrite the object).
    if (sh.sh_addralign > kMaxSectionAlign ||
        (sh.sh_addralign & (sh.sh_addralign - 1)))
      return makeError(ENOEXEC,
                       "ELF section " + std::to_string(elf_ndxscn(scn)) +
                           " has alignment " + std::to_string(sh.sh_addralign) +
                           " (not a power of two up to 4096)",
                       "the ELF object is damaged; rebuild it");
  }
  return img;
}

const char *sectionName(const ElfImage &img, Elf_Scn *scn) {
  GElf_Shdr sh;
  if (!gelf_getshdr(scn, &sh))
    return nullptr;
  return elf_strptr(img.elf.get(), img.shstrndx, sh.sh_name);
}

// Returns the bytes of the section called `name`, or nullopt-like false.
bool findSection(const ElfImage &img, std::string_view name,
                 std::span<const uint8_t> &out) {
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(img.elf.get(), scn));) {
    const char *n = sectionName(img, scn);
    if (!n || name != n)
      continue;
    Elf_Data *d = elf_getdata(scn, nullptr);
    if (!d || !d->d_buf)
      out = {};
    else
      out = {static_cast<const uint8_t *>(d->d_buf), d->d_size};
    return true;
  }
  return false;
}

// Two sections with one of our names would let different readers see
// different contents (libelf-based tools take the first, others the last).
Status checkUniqueSealSections(const ElfImage &img) {
  std::set<std::string_view> seen;
  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(img.elf.get(), scn));) {
    const char *n = sectionName(img, scn);
    if (!n || std::strncmp(n, ".bpfseal.", 9) != 0)
      continue;
    if (!seen.insert(n).second)
      return makeError(EBADMSG,
                       std::string("malformed sealed object: two sections are "
                                   "named '") + n + "'",
                       "re-seal the object with 'bpfseal seal'; it was "
                       "damaged or tampered with");
  }
  return ok();
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (n == 9 || s.size() - i - 1 < n)
      return false;
    uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return false;
    i += n + 1;
  }
  return true;
}

// Every string the manifest records, named for an error message.
Status checkManifestText(const Manifest &m) {
  auto check = [](const std::string &what, const std::string &v) -> Status {
    if (validUtf8(v))
      return ok();
    return makeError(EILSEQ, what + " is not valid UTF-8 (hex " + hex({reinterpret_cast<const uint8_t *>(v.data()), std::min<size_t>(v.size(), 48)}) + ")",
                     "the BPF object is damaged or was not built by clang; rebuild it");
  };
  std::vector<std::pair<std::string, const std::string *>> all = {
      {"object name", &m.object_name}, {"license", &m.license}, {"tool version", &m.tool_version}};
  for (size_t i = 0; i < m.programs.size(); ++i) {
    const ProgramInfo &p = m.programs[i];
    std::string who = "program " + std::to_string(i);
    for (auto [f, v] : {std::pair{" name", &p.name}, {" section", &p.section}, {" type", &p.type},
                        {" attach type", &p.attach_type}, {" source", &p.source},
                        {" attach target", &p.attach_target}})
      all.push_back({who + f, v});
  }
  for (size_t i = 0; i < m.maps.size(); ++i)
    for (auto [f, v] : {std::pair{" name", &m.maps[i].name}, {" type", &m.maps[i].type}})
      all.push_back({"map " + std::to_string(i) + f, v});
  for (size_t i = 0; i < m.baked.size(); ++i) {
    const BakedValue &b = m.baked[i];
    for (auto [f, v] : {std::pair{" name", &b.name}, {" section", &b.section},
                        {" type", &b.type}, {" value", &b.value}})
      all.push_back({"baked value " + std::to_string(i) + f, v});
  }
  for (size_t i = 0; i < m.disabled_programs.size(); ++i)
    all.push_back({"disabled program " + std::to_string(i), &m.disabled_programs[i]});
  for (size_t i = 0; i < m.loaders.size(); ++i)
    all.push_back({"loader " + std::to_string(i) + " kernels", &m.loaders[i].kernels});
  for (auto &[what, v] : all)
    if (Status st = check(what, *v); !st)
      return st;
  return ok();
}

// Loader names become file names (sign --detached writes NAME.p7s), so they
// are restricted to what the sealer generates: [a-z0-9_-], 1..31 characters.
bool validLoaderName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxLoaderNameLen &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-';
         });
}

struct NewSection {
  std::string name;
  std::vector<uint8_t> bytes;
};

// Copies every section of `base` (replacing the contents of those named in
// `overrides`) and appends `extra` as non-allocated PROGBITS sections. Section
// indices of `base` are preserved, so symbols and relocations stay valid.
Result<std::vector<uint8_t>>
rewriteElf(const ElfImage &base,
           const std::map<std::string, std::vector<uint8_t>> &overrides,
           const std::vector<NewSection> &extra) {
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
    return makeError(ENOEXEC, "ELF section name table is unreadable",
                     "the file may be truncated; rebuild it");
  std::vector<uint8_t> shstrtab(
      static_cast<const uint8_t *>(in_shstr_data->d_buf),
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
  auto addData = [&](Elf_Scn *scn, const void *buf, size_t size, size_t align,
                     Elf_Type type) {
    Elf_Data *d = elf_newdata(scn);
    keep.emplace_back(static_cast<const uint8_t *>(buf),
                      static_cast<const uint8_t *>(buf) + size);
    d->d_buf = size ? keep.back().data() : nullptr;
    d->d_size = size;
    d->d_align = align ? align : 1;
    d->d_type = type;
    d->d_version = EV_CURRENT;
    return d;
  };

  for (Elf_Scn *scn = nullptr; (scn = elf_nextscn(base.elf.get(), scn));) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    Elf_Scn *nscn = elf_newscn(out.get());
    if (!nscn)
      return makeError(EIO, std::string("ELF writer: ") + elf_errmsg(-1));
    const char *name = sectionName(base, scn);
    Elf_Data *d = elf_getdata(scn, nullptr);
    auto ov = name ? overrides.find(name) : overrides.end();
    if (elf_ndxscn(scn) == base.shstrndx) {
      addData(nscn, shstrtab.data(), shstrtab.size(), 1, ELF_T_BYTE);
      sh.sh_size = shstrtab.size();
    } else if (ov != overrides.end()) {
      if (sh.sh_type == SHT_NOBITS)
        return makeError(EINVAL, std::string("cannot set contents of NOBITS "
                                             "section ") + name);
      addData(nscn, ov->second.data(), ov->second.size(),
              d ? d->d_align : sh.sh_addralign, ELF_T_BYTE);
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

// --- manifest JSON -----------------------------------------------------------

ojson layoutToJson(const MapLayout &l) {
  ojson j;
  j["excl_off"] = l.excl_off;
  j["excl_prog_sha_off"] = l.excl_prog_sha_off;
  j["map_type_off"] = l.map_type_off;
  j["key_size_off"] = l.key_size_off;
  j["value_size_off"] = l.value_size_off;
  j["max_entries_off"] = l.max_entries_off;
  return j;
}

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const ojson &member(const ojson &obj, const char *key) {
  if (!obj.is_object())
    throw JsonError(std::string("expected an object holding '") + key + "'");
  auto it = obj.find(key);
  if (it == obj.end())
    throw JsonError(std::string("missing field '") + key + "'");
  return *it;
}

// Typed reads that refuse what nlohmann's get<> would convert silently
// (1.5 or -1 as uint32_t, 1e300 as an integer is undefined behaviour).
template <typename T>
T field(const ojson &obj, const char *key) {
  const ojson &v = member(obj, key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string())
      throw JsonError(std::string("field '") + key + "' is not a string");
    return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean())
      throw JsonError(std::string("field '") + key + "' is not a boolean");
    return v.get<bool>();
  } else {
    static_assert(std::is_integral_v<T>);
    bool fits = false;
    if (v.is_number_unsigned())
      fits = v.get<uint64_t>() <= uint64_t(std::numeric_limits<T>::max());
    else if (v.is_number_integer())
      fits = std::is_signed_v<T> &&
             v.get<int64_t>() >= int64_t(std::numeric_limits<T>::min());
    if (!fits)
      throw JsonError(std::string("field '") + key + "' is not a " +
                      (std::is_signed_v<T> ? "signed" : "unsigned") + " " +
                      std::to_string(sizeof(T) * 8) + "-bit integer");
    return v.get<T>();
  }
}

const ojson &arrayField(const ojson &obj, const char *key) {
  const ojson &v = member(obj, key);
  if (!v.is_array())
    throw JsonError(std::string("field '") + key + "' is not an array");
  return v;
}

// Parses untrusted JSON: bounded nesting, and no duplicate keys (which other
// JSON readers resolve differently, so a signed manifest must not have any).
ojson parseStrictJson(std::string_view text) {
  std::vector<std::set<std::string>> keys;
  auto cb = [&](int depth, ojson::parse_event_t ev,
                ojson &parsed) {
    using E = decltype(ev);
    switch (ev) {
    case E::object_start:
    case E::array_start:
      if (depth >= kMaxJsonDepth)
        throw JsonError("nested deeper than " + std::to_string(kMaxJsonDepth) +
                        " levels");
      if (ev == E::object_start)
        keys.emplace_back();
      break;
    case E::object_end:
      if (!keys.empty())
        keys.pop_back();
      break;
    case E::key:
      if (!keys.empty() && parsed.is_string() &&
          !keys.back().insert(parsed.get<std::string>()).second)
        throw JsonError("duplicate key '" + parsed.get<std::string>() + "'");
      break;
    default:
      break;
    }
    return true;
  };
  ojson j = ojson::parse(text, cb, /*allow_exceptions=*/false);
  if (j.is_discarded())
    throw JsonError("not valid JSON (or not UTF-8)");
  return j;
}

} // namespace

std::string_view loaderKindName(LoaderKind kind) {
  switch (kind) {
  case LoaderKind::KernelCheck:
    return "kernel-check";
  case LoaderKind::LoaderCheck:
    return "loader-check";
  }
  return "unknown";
}

std::string serializeManifest(const Manifest &m) {
  ojson j;
  j["format_version"] = m.format_version;
  j["object_name"] = m.object_name;
  j["license"] = m.license;
  j["tool_version"] = m.tool_version;
  ojson progs = ojson::array();
  for (const ProgramInfo &p : m.programs)
    progs.push_back({{"name", p.name},
                     {"section", p.section},
                     {"type", p.type},
                     {"attach_type", p.attach_type},
                     {"source", p.source},
                     {"attach_target", p.attach_target}});
  j["programs"] = progs;
  ojson maps = ojson::array();
  for (const MapInfo &mi : m.maps)
    maps.push_back({{"name", mi.name},
                    {"type", mi.type},
                    {"key_size", mi.key_size},
                    {"value_size", mi.value_size},
                    {"max_entries", mi.max_entries},
                    {"flags", mi.flags},
                    {"internal", mi.internal}});
  j["maps"] = maps;
  ojson baked = ojson::array();
  for (const BakedValue &b : m.baked)
    baked.push_back({{"name", b.name},
                     {"section", b.section},
                     {"type", b.type},
                     {"value", b.value},
                     {"offset", b.offset},
                     {"size", b.size}});
  j["baked"] = baked;
  j["disabled_programs"] = m.disabled_programs;
  ojson loaders = ojson::array();
  for (const LoaderInfo &l : m.loaders)
    loaders.push_back({{"name", l.name},
                       {"kind", std::string(loaderKindName(l.kind))},
                       {"layout", layoutToJson(l.layout)},
                       {"kernels", l.kernels}});
  j["loaders"] = loaders;
  ojson units = ojson::parse(m.units_json.empty() ? "[]" : m.units_json,
                             nullptr, /*allow_exceptions=*/false);
  j["units"] = units.is_discarded() ? ojson::array() : units;
  // Names come from the BPF object and may be any bytes; writeSealed
  // refuses a manifest that is not UTF-8, this only must not throw first.
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

Result<Manifest> parseManifest(std::string_view text) {
  try {
    ojson j = parseStrictJson(text);
    if (!j.is_object())
      return malformed("manifest is not a JSON object");
    Manifest m;
    m.format_version = field<uint32_t>(j, "format_version");
    if (m.format_version != kFormatVersion)
      return makeError(ENOTSUP,
                       "sealed object format version " +
                           std::to_string(m.format_version) +
                           " is not supported (this bpfseal reads version " +
                           std::to_string(kFormatVersion) + ")",
                       "use a bpfseal release that matches the sealer");
    m.object_name = field<std::string>(j, "object_name");
    m.license = field<std::string>(j, "license");
    m.tool_version = field<std::string>(j, "tool_version");
    for (const ojson &p : arrayField(j, "programs"))
      m.programs.push_back({field<std::string>(p, "name"),
                            field<std::string>(p, "section"),
                            field<std::string>(p, "type"),
                            field<std::string>(p, "attach_type"),
                            field<std::string>(p, "source"),
                            field<std::string>(p, "attach_target")});
    for (const ojson &mj : arrayField(j, "maps")) {
      MapInfo mi;
      mi.name = field<std::string>(mj, "name");
      mi.type = field<std::string>(mj, "type");
      mi.key_size = field<uint32_t>(mj, "key_size");
      mi.value_size = field<uint32_t>(mj, "value_size");
      mi.max_entries = field<uint32_t>(mj, "max_entries");
      mi.flags = field<uint32_t>(mj, "flags");
      mi.internal = field<bool>(mj, "internal");
      m.maps.push_back(std::move(mi));
    }
    for (const ojson &b : arrayField(j, "baked"))
      m.baked.push_back({field<std::string>(b, "name"),
                         field<std::string>(b, "section"),
                         field<std::string>(b, "type"),
                         field<std::string>(b, "value"),
                         field<uint32_t>(b, "offset"),
                         field<uint32_t>(b, "size")});
    for (const ojson &d : arrayField(j, "disabled_programs")) {
      if (!d.is_string())
        return malformed("manifest 'disabled_programs' holds a non-string");
      m.disabled_programs.push_back(d.get<std::string>());
    }
    for (const ojson &lj : arrayField(j, "loaders")) {
      LoaderInfo l;
      l.name = field<std::string>(lj, "name");
      std::string kind = field<std::string>(lj, "kind");
      if (kind == loaderKindName(LoaderKind::KernelCheck))
        l.kind = LoaderKind::KernelCheck;
      else if (kind == loaderKindName(LoaderKind::LoaderCheck))
        l.kind = LoaderKind::LoaderCheck;
      else
        return malformed("unknown loader kind '" + kind + "'");
      const ojson &lay = member(lj, "layout");
      l.layout.excl_off = field<int32_t>(lay, "excl_off");
      l.layout.excl_prog_sha_off = field<uint32_t>(lay, "excl_prog_sha_off");
      l.layout.map_type_off = field<uint32_t>(lay, "map_type_off");
      l.layout.key_size_off = field<uint32_t>(lay, "key_size_off");
      l.layout.value_size_off = field<uint32_t>(lay, "value_size_off");
      l.layout.max_entries_off = field<uint32_t>(lay, "max_entries_off");
      l.kernels = field<std::string>(lj, "kernels");
      m.loaders.push_back(std::move(l));
    }
    const ojson &units = member(j, "units");
    if (!units.is_array())
      return malformed("manifest 'units' is not an array");
    m.units_json = units.dump();
    return m;
  } catch (const std::exception &e) {
    return malformed(std::string("manifest: ") + e.what());
  }
}

std::vector<uint8_t> buildMetadata(std::span<const uint8_t> blob,
                                   const Manifest &manifest) {
  std::string json = serializeManifest(manifest);
  std::vector<uint8_t> out(blob.begin(), blob.end());
  out.insert(out.end(), json.begin(), json.end());
  // The kernel hashes an array map's whole element, which it rounds up to 8
  // bytes: zero-pad so that map->sha == SHA-256(metadata).
  out.resize((out.size() + kTrailerSize + 7) / 8 * 8 - kTrailerSize, 0);
  out.insert(out.end(), std::begin(kMetadataTrailerMagic),
             std::end(kMetadataTrailerMagic));
  putU32(out, uint32_t(blob.size()));
  putU32(out, uint32_t(json.size()));
  return out;
}

Result<MetadataView> splitMetadata(std::span<const uint8_t> md) {
  if (md.size() < kTrailerSize)
    return malformed("metadata is shorter than its trailer");
  const uint8_t *t = md.data() + md.size() - kTrailerSize;
  if (std::memcmp(t, kMetadataTrailerMagic, 8) != 0)
    return malformed("metadata trailer magic is wrong");
  uint64_t blob_size = getU32(t + 8), json_size = getU32(t + 12);
  // Up to 7 zero bytes pad the metadata to a multiple of 8 (buildMetadata).
  if (md.size() % 8 || blob_size + json_size + kTrailerSize > md.size() ||
      md.size() - (blob_size + json_size + kTrailerSize) >= 8)
    return malformed("metadata trailer sizes do not add up");
  for (size_t i = blob_size + json_size; i < md.size() - kTrailerSize; ++i)
    if (md[i])
      return malformed("metadata padding is not zero");
  if (json_size > kMaxManifestSize)
    return malformed("manifest is too large");
  return MetadataView{
      md.subspan(0, blob_size),
      std::string_view(reinterpret_cast<const char *>(md.data()) + blob_size,
                       json_size)};
}

const LoaderImage *SealedObject::findLoader(std::string_view name) const {
  for (const LoaderImage &l : loaders)
    if (l.info.name == name)
      return &l;
  return nullptr;
}

size_t SealedObject::blobSize() const {
  auto view = splitMetadata(metadata);
  return view ? view->blob.size() : 0;
}

Sha256 sha256(std::span<const uint8_t> bytes) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(),
             nullptr);
  return out;
}

std::string hex(std::span<const uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

std::vector<uint8_t> signedPayload(const SealedObject &sealed,
                                   const LoaderImage &loader) {
  std::vector<uint8_t> out(loader.insns);
  if (loader.info.kind == LoaderKind::KernelCheck)
    out.insert(out.end(), sealed.metadata.begin(), sealed.metadata.end());
  return out;
}

Result<SealedObject> readSealed(std::span<const uint8_t> file) {
  auto img = openElf(file);
  if (!img)
    return img.takeError();
  std::span<const uint8_t> index, meta;
  if (!findSection(*img, kIndexSection, index))
    return makeError(ENOMSG, "not a sealed object: no .bpfseal.index section",
                     "seal it first with 'bpfseal seal'");
  if (Status st = checkUniqueSealSections(*img); !st)
    return st.takeError();
  if (index.size() < kIndexHeaderSize || std::memcmp(index.data(), kIndexMagic, 8))
    return malformed(".bpfseal.index header is invalid");
  uint32_t version = getU32(index.data() + 8);
  uint32_t loader_count = getU32(index.data() + 12);
  uint32_t metadata_size = getU32(index.data() + 16);
  uint32_t reserved = getU32(index.data() + 20);
  if (version != kFormatVersion)
    return makeError(ENOTSUP,
                     "sealed object format version " + std::to_string(version) +
                         " is not supported",
                     "use a bpfseal release that matches the sealer");
  if (reserved != 0 ||
      index.size() != kIndexHeaderSize + size_t(loader_count) * kIndexEntrySize)
    return malformed(".bpfseal.index size does not match its loader count");
  if (!findSection(*img, kMetadataSection, meta))
    return malformed("no .bpfseal.meta section");
  if (meta.size() != metadata_size)
    return malformed("metadata size differs from the index");

  SealedObject sealed;
  sealed.metadata.assign(meta.begin(), meta.end());
  sealed.metadata_sha256 = sha256(meta);
  if (std::memcmp(sealed.metadata_sha256.data(), index.data() + 24, 32) != 0)
    return malformed("metadata SHA-256 differs from the index");
  auto view = splitMetadata(meta);
  if (!view)
    return view.takeError();
  auto manifest = parseManifest(view->manifest_json);
  if (!manifest)
    return manifest.takeError();
  sealed.manifest = manifest.take();
  if (sealed.manifest.loaders.size() != loader_count)
    return malformed("index and manifest list different loaders");

  for (uint32_t i = 0; i < loader_count; ++i) {
    const uint8_t *e = index.data() + kIndexHeaderSize + i * kIndexEntrySize;
    if (e[kMaxLoaderNameLen] != 0)
      return malformed("loader name in the index is not terminated");
    LoaderImage l;
    l.info.name = reinterpret_cast<const char *>(e);
    if (l.info.name.empty() ||
        std::any_of(e + l.info.name.size(), e + 32, [](uint8_t c) { return c; }))
      return malformed("loader name field in the index is not canonical");
    if (!validLoaderName(l.info.name))
      return malformed("loader name '" + format::hex({e, l.info.name.size()}) +
                       "' (hex) has characters outside [a-z0-9_-]");
    uint32_t kind = getU32(e + 32);
    if (kind != uint32_t(LoaderKind::KernelCheck) &&
        kind != uint32_t(LoaderKind::LoaderCheck))
      return malformed("unknown loader kind in the index");
    l.info.kind = LoaderKind(kind);
    uint32_t insn_count = getU32(e + 36);
    l.info.layout.excl_off = int32_t(getU32(e + 40));
    l.info.layout.excl_prog_sha_off = getU32(e + 44);
    l.info.layout.map_type_off = getU32(e + 48);
    l.info.layout.key_size_off = getU32(e + 52);
    l.info.layout.value_size_off = getU32(e + 56);
    l.info.layout.max_entries_off = getU32(e + 60);

    const LoaderInfo &signed_info = sealed.manifest.loaders[i];
    if (signed_info.name != l.info.name || signed_info.kind != l.info.kind ||
        !(signed_info.layout == l.info.layout))
      return malformed("index entry for loader '" + l.info.name +
                       "' differs from the signed manifest");
    l.info.kernels = signed_info.kernels;

    std::span<const uint8_t> insns, sig;
    if (!findSection(*img, kLoaderSectionPrefix + l.info.name, insns))
      return malformed("no loader section for '" + l.info.name + "'");
    if (insns.size() != size_t(insn_count) * 8 || insns.empty())
      return malformed("loader '" + l.info.name +
                       "' size differs from the index");
    Sha256 insns_sha = sha256(insns);
    if (std::memcmp(insns_sha.data(), e + 64, 32) != 0)
      return malformed("loader '" + l.info.name +
                       "' SHA-256 differs from the index");
    if (!findSection(*img, kSignatureSectionPrefix + l.info.name, sig))
      return malformed("no signature slot for loader '" + l.info.name + "'");
    if (sig.size() > kMaxSignatureSize)
      return malformed("signature of loader '" + l.info.name +
                       "' is larger than 4096 bytes");
    l.insns.assign(insns.begin(), insns.end());
    l.signature.assign(sig.begin(), sig.end());
    if (sealed.findLoader(l.info.name))
      return malformed("loader '" + l.info.name + "' is listed twice");
    sealed.loaders.push_back(std::move(l));
  }
  return sealed;
}

Result<std::vector<uint8_t>>
writeSealed(std::span<const uint8_t> base_elf, const SealedObject &sealed,
            const std::map<std::string, std::vector<uint8_t>> &overrides) {
  auto img = openElf(base_elf);
  if (!img)
    return img.takeError();
  std::span<const uint8_t> existing;
  if (findSection(*img, kIndexSection, existing))
    return makeError(EEXIST, "input is already sealed",
                     "seal the linked BPF object, not a sealed one");
  if (sealed.loaders.size() != sealed.manifest.loaders.size())
    return makeError(EINVAL, "sealed object lists loaders that its manifest "
                             "does not");
  if (Status st = checkManifestText(sealed.manifest); !st)
    return st.takeError();

  std::vector<uint8_t> index(kIndexMagic, kIndexMagic + 8);
  putU32(index, kFormatVersion);
  putU32(index, uint32_t(sealed.loaders.size()));
  putU32(index, uint32_t(sealed.metadata.size()));
  putU32(index, 0);
  Sha256 md_sha = sha256(sealed.metadata);
  index.insert(index.end(), md_sha.begin(), md_sha.end());

  std::vector<NewSection> extra;
  for (size_t i = 0; i < sealed.loaders.size(); ++i) {
    const LoaderImage &l = sealed.loaders[i];
    const LoaderInfo &mi = sealed.manifest.loaders[i];
    if (!validLoaderName(l.info.name) || mi.name != l.info.name || mi.kind != l.info.kind ||
        !(mi.layout == l.info.layout))
      return makeError(EINVAL, "loader '" + l.info.name +
                                   "' is invalid or differs from the manifest");
    if (l.insns.empty() || l.insns.size() % 8)
      return makeError(EINVAL, "loader '" + l.info.name +
                                   "' is not a whole number of instructions");
    char name[32] = {};
    std::memcpy(name, l.info.name.data(), l.info.name.size());
    index.insert(index.end(), name, name + 32);
    putU32(index, uint32_t(l.info.kind));
    putU32(index, uint32_t(l.insns.size() / 8));
    putU32(index, uint32_t(l.info.layout.excl_off));
    putU32(index, l.info.layout.excl_prog_sha_off);
    putU32(index, l.info.layout.map_type_off);
    putU32(index, l.info.layout.key_size_off);
    putU32(index, l.info.layout.value_size_off);
    putU32(index, l.info.layout.max_entries_off);
    Sha256 s = sha256(l.insns);
    index.insert(index.end(), s.begin(), s.end());
  }
  extra.push_back({kIndexSection, std::move(index)});
  extra.push_back({kMetadataSection, sealed.metadata});
  for (const LoaderImage &l : sealed.loaders)
    extra.push_back({kLoaderSectionPrefix + l.info.name, l.insns});
  // Signatures last, so re-signing leaves every earlier byte where it was.
  for (const LoaderImage &l : sealed.loaders)
    extra.push_back({kSignatureSectionPrefix + l.info.name, l.signature});
  return rewriteElf(*img, overrides, extra);
}

Result<std::vector<uint8_t>>
replaceSignatures(std::span<const uint8_t> file,
                  const std::map<std::string, std::vector<uint8_t>> &signatures) {
  auto sealed = readSealed(file);
  if (!sealed)
    return sealed.takeError();
  std::map<std::string, std::vector<uint8_t>> overrides;
  for (const auto &[loader, sig] : signatures) {
    if (!sealed->findLoader(loader))
      return makeError(ENOENT, "sealed object has no loader '" + loader + "'",
                       "run 'bpfseal inspect' to list its loaders");
    if (sig.size() > kMaxSignatureSize)
      return makeError(E2BIG, "signature for loader '" + loader +
                                  "' is larger than 4096 bytes");
    overrides[kSignatureSectionPrefix + loader] = sig;
  }
  auto img = openElf(file);
  if (!img)
    return img.takeError();
  return rewriteElf(*img, overrides, {});
}

Result<std::vector<uint8_t>> readFile(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError(errno, "cannot open '" + path + "'", "check the path and permissions");
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0)
    return makeError(errno, "cannot stat '" + path + "'");
  if (S_ISDIR(st.st_mode))
    return makeError(EISDIR, "'" + path + "' is a directory", "pass a file");
  // Bounded, so /dev/zero or a FIFO that never ends is an error, not a hang.
  auto tooBig = [&] {
    return makeError(EFBIG,
                     "'" + path + "' is larger than " + std::to_string(kMaxInputFile >> 20) +
                         " MiB, which no BPF object, signature or BTF file is",
                     "check that the right file was passed");
  };
  if (S_ISREG(st.st_mode) && uint64_t(st.st_size) > kMaxInputFile)
    return tooBig();
  std::vector<uint8_t> bytes;
  if (S_ISREG(st.st_mode))
    bytes.reserve(size_t(st.st_size));
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return makeError(errno, "cannot read '" + path + "'");
    if (n == 0)
      break;
    if (bytes.size() + size_t(n) > kMaxInputFile)
      return tooBig();
    bytes.insert(bytes.end(), buf, buf + n);
  }
  return bytes;
}

Status writeFileAtomic(const std::string &path, std::span<const uint8_t> bytes,
                       unsigned mode) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0)
    return makeError(errno, "cannot create a file beside '" + path + "'",
                     "check that the directory exists and is writable");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      unlink(tmp.c_str());
      return makeError(err, "cannot write '" + path + "'", "check free space");
    }
    done += size_t(n);
  }
  int err = 0;
  if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
    err = errno;
  if (close(fd) != 0 && !err)
    err = errno;
  if (err) {
    unlink(tmp.c_str());
    return makeError(err, "cannot finish writing '" + path + "'");
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return makeError(err, "cannot rename the output into '" + path + "'");
  }
  return ok();
}

} // namespace bpfseal::format

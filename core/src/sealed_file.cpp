// The sealed file: index, metadata, loaders and signature slots appended to
// the BPF ELF, and the digests that bind every other byte of the file to the
// signed manifest (docs/FORMAT.md).
#include "bpfseal/internal/elf_image.h"
#include "bpfseal/prologue.h"
#include "bpfseal/timings.h"
#include "format_internal.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace bpfseal::format {
namespace {

using detail::getU32;
using detail::malformed;

// The index, in one table of offsets that the reader and the writer share.
namespace ix {
constexpr char kMagic[8] = {'B', 'P', 'F', 'S', 'E', 'A', 'L', '\0'};
// header
constexpr size_t kVersion = 8, kLoaderCount = 12, kMetadataSize = 16, kSlotSize = 20;
constexpr size_t kHeaderSize = 24;
// entry
constexpr size_t kName = 0, kKind = 32, kInsnCount = 36;
constexpr size_t kEntrySize = 68;
// struct bpf_map layout fields of an entry (s32 excl_off is stored as u32)
struct LayoutField {
  size_t off;
  uint32_t MapLayout::*member;
};
constexpr LayoutField kLayoutFields[] = {{44, &MapLayout::excl_prog_sha_off},
                                         {48, &MapLayout::map_type_off},
                                         {52, &MapLayout::key_size_off},
                                         {56, &MapLayout::value_size_off},
                                         {60, &MapLayout::max_entries_off},
                                         {64, &MapLayout::frozen_off}};
constexpr size_t kExclOff = 40;
} // namespace ix

void setU32(std::vector<uint8_t> &buf, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    buf[off + i] = uint8_t(v >> (8 * i));
}

// Section names from a file are hostile: escaped, and cut to 64 characters.
std::string printable(std::string_view s) {
  std::string out = escapeText(s.substr(0, 64));
  return s.size() > 64 ? out + "..." : out;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Contents the file digest leaves out: each is covered another way (the
// metadata by its hash inside every signed loader, a loader by its own
// signature, a signature slot is the signature).
bool blankedInDigest(std::string_view name) {
  return name == kMetadataSection || startsWith(name, kLoaderSectionPrefix) ||
         startsWith(name, kSignatureSectionPrefix);
}

struct Digests {
  Sha256 file{};
  std::vector<SectionDigest> sections;
};

// SHA-256 of the whole file with the contents of the blanked sections read as
// zeros, streamed: the file is not copied.
Result<Sha256> fileDigest(const elf::Image &img) {
  std::vector<std::pair<uint64_t, uint64_t>> holes; // [begin, end) in the file
  const uint64_t total = img.bytes.size();
  for (const elf::Section &s : img.sections)
    if (blankedInDigest(s.name))
      holes.push_back({std::min<uint64_t>(s.offset, total),
                       std::min<uint64_t>(uint64_t(s.offset) + s.size, total)});
  std::sort(holes.begin(), holes.end());
  static const uint8_t kZeros[4096] = {};
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  Sha256 out{};
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  uint64_t pos = 0;
  for (const auto &[begin, end] : holes) {
    if (begin > pos)
      ok = ok && EVP_DigestUpdate(ctx, img.bytes.data() + pos, begin - pos);
    for (uint64_t z = std::max(begin, pos); z < end; z += sizeof kZeros)
      ok = ok && EVP_DigestUpdate(ctx, kZeros, std::min<uint64_t>(sizeof kZeros, end - z));
    pos = std::max(pos, end);
  }
  ok = ok && EVP_DigestUpdate(ctx, img.bytes.data() + pos, total - pos);
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return makeError(ENOMEM, "cannot compute the file digest (OpenSSL SHA-256 failed)");
  return out;
}

std::vector<SectionDigest> sectionDigests(const elf::Image &img) {
  std::vector<SectionDigest> out;
  for (const elf::Section &s : img.sections)
    if (!blankedInDigest(s.name))
      out.push_back({s.name, s.size, sha256(img.contents(s))});
  return out;
}

Result<Digests> computeDigests(const elf::Image &img) {
  auto file = fileDigest(img);
  if (!file)
    return file.takeError();
  return Digests{*file, sectionDigests(img)};
}

// Names the first section whose bytes differ from what the manifest records,
// or the file layout when only headers or padding changed. Both kinds of
// digest are checked on every read: the signed manifest states them all, and
// a reader that skipped one would let a signer sign a false one.
Status checkDigests(const elf::Image &img, const Manifest &m) {
  const std::vector<SectionDigest> &want = m.sections;
  auto file = fileDigest(img);
  if (!file)
    return file.takeError();
  std::vector<SectionDigest> have = sectionDigests(img);
  for (size_t i = 0; i < std::max(have.size(), want.size()); ++i) {
    if (i >= want.size())
      return malformed("section '" + printable(have[i].name) +
                       "' was added after sealing (the signed manifest does not list it)");
    if (i >= have.size())
      return malformed("section '" + printable(want[i].name) +
                       "' was removed after sealing (the signed manifest lists it)");
    if (have[i].name != want[i].name)
      return malformed("section " + std::to_string(i) + " is '" + printable(have[i].name) +
                       "', the signed manifest says '" + printable(want[i].name) +
                       "' (sections renamed or reordered)");
    if (!(have[i] == want[i]))
      return malformed("section '" + printable(want[i].name) +
                       "' differs from the signed manifest (changed after sealing)");
  }
  if (*file != m.file_digest)
    return malformed("file layout (ELF header, section headers or padding) differs from the "
                     "signed manifest's file digest (changed after sealing)");
  return ok();
}

// A signature slot: u32 length, the DER signature, zeros.
Result<std::vector<uint8_t>> readSlot(std::span<const uint8_t> slot, const std::string &loader) {
  if (slot.size() != kSignatureSlotSize)
    return malformed("signature slot of loader '" + loader + "' is " + std::to_string(slot.size()) +
                     " bytes, not " + std::to_string(kSignatureSlotSize));
  uint32_t len = getU32(slot.data());
  if (len > kMaxSignatureSize)
    return malformed("signature of loader '" + loader + "' is larger than 4096 bytes");
  if (std::any_of(slot.begin() + 4 + len, slot.end(), [](uint8_t b) { return b != 0; }))
    return malformed("signature slot of loader '" + loader +
                     "' has bytes after the signature (must be zero)");
  return std::vector<uint8_t>(slot.begin() + 4, slot.begin() + 4 + len);
}

std::vector<uint8_t> makeSlot(std::span<const uint8_t> signature) {
  std::vector<uint8_t> slot(kSignatureSlotSize, 0);
  setU32(slot, 0, uint32_t(signature.size()));
  std::copy(signature.begin(), signature.end(), slot.begin() + 4);
  return slot;
}

std::vector<uint8_t> buildIndex(const Manifest &m, size_t metadata_size,
                                const std::vector<std::vector<uint8_t>> &loaders) {
  std::vector<uint8_t> index(ix::kHeaderSize + m.loaders.size() * ix::kEntrySize, 0);
  std::copy(std::begin(ix::kMagic), std::end(ix::kMagic), index.begin());
  setU32(index, ix::kVersion, kFormatVersion);
  setU32(index, ix::kLoaderCount, uint32_t(m.loaders.size()));
  setU32(index, ix::kMetadataSize, uint32_t(metadata_size));
  setU32(index, ix::kSlotSize, uint32_t(kSignatureSlotSize));
  for (size_t i = 0; i < m.loaders.size(); ++i) {
    size_t e = ix::kHeaderSize + i * ix::kEntrySize;
    const LoaderInfo &l = m.loaders[i];
    std::copy(l.name.begin(), l.name.end(), index.begin() + e + ix::kName);
    setU32(index, e + ix::kKind, uint32_t(l.kind));
    setU32(index, e + ix::kInsnCount, uint32_t(loaders[i].size() / 8));
    setU32(index, e + ix::kExclOff, uint32_t(l.layout.excl_off));
    for (const ix::LayoutField &f : ix::kLayoutFields)
      setU32(index, e + f.off, l.layout.*f.member);
  }
  return index;
}

// The one loader body every loader shares; the prologue in front of it is
// regenerated from the signed manifest, so a loader is accepted only if it
// is byte for byte what the sealer produces for its declared kind and layout.
Status checkLoaders(const SealedObject &sealed) {
  std::span<const uint8_t> body;
  for (size_t i = 0; i < sealed.loaders.size(); ++i) {
    const LoaderImage &l = sealed.loaders[i];
    std::vector<uint8_t> prologue =
        buildPrologue(prologueSpecFor(sealed.manifest, l.info, uint32_t(sealed.metadata.size()),
                                      sealed.metadata_sha256));
    if (l.insns.size() <= prologue.size() ||
        !std::equal(prologue.begin(), prologue.end(), l.insns.begin())) {
      bool hash_only = l.info.kind == LoaderKind::LoaderCheck;
      return makeError(EKEYREJECTED,
                       "loader '" + l.info.name + "' is not bpfseal's " +
                           std::string(loaderKindName(l.info.kind)) + " loader for its layout" +
                           (hash_only ? " and this metadata (metadata changed after sealing, "
                                        "loader relabelled or from another build)"
                                      : " (loader replaced or relabelled)"),
                       "only objects produced by 'bpfseal seal' are accepted; re-seal and "
                       "re-sign the object");
    }
    std::span<const uint8_t> mine(l.insns.data() + prologue.size(),
                                  l.insns.size() - prologue.size());
    if (i == 0)
      body = mine;
    else if (!std::equal(mine.begin(), mine.end(), body.begin(), body.end()))
      return makeError(EKEYREJECTED,
                       "loader '" + l.info.name + "' has another loader body than '" +
                           sealed.loaders[0].info.name + "' (loader replaced)",
                       "only objects produced by 'bpfseal seal' are accepted; re-seal and "
                       "re-sign the object");
  }
  return ok();
}

} // namespace

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

std::vector<uint8_t> signedPayload(const SealedObject &sealed, const LoaderImage &loader) {
  std::vector<uint8_t> out(loader.insns);
  if (loader.info.kind == LoaderKind::KernelCheck)
    out.insert(out.end(), sealed.metadata.begin(), sealed.metadata.end());
  return out;
}

namespace {

// `bytes` become the image's and then SealedObject::file: one buffer.
Result<SealedObject> readSealedImpl(std::vector<uint8_t> &&bytes) {
  timings::Stopwatch phase;
  auto img = elf::open(std::move(bytes));
  if (!img)
    return img.takeError();
  const elf::Section *index_sec = img->find(kIndexSection);
  if (!index_sec)
    return makeError(ENOMSG, "not a sealed object: no .bpfseal.index section",
                     "seal it first with 'bpfseal seal'");
  std::set<std::string_view> seen;
  for (const elf::Section &s : img->sections)
    if (startsWith(s.name, ".bpfseal.") && !seen.insert(s.name).second)
      return makeError(EBADMSG,
                       "malformed sealed object: two sections are named '" + printable(s.name) +
                           "'",
                       "re-seal the object with 'bpfseal seal'; it was damaged or tampered with");

  std::span<const uint8_t> index = img->contents(*index_sec);
  if (index.size() < ix::kHeaderSize || std::memcmp(index.data(), ix::kMagic, 8))
    return malformed(".bpfseal.index header is invalid");
  uint32_t version = getU32(index.data() + ix::kVersion);
  if (version != kFormatVersion)
    return makeError(ENOTSUP,
                     "sealed object format version " + std::to_string(version) +
                         " is not supported (this bpfseal reads version " +
                         std::to_string(kFormatVersion) + ")",
                     version == 1 ? "re-seal the object with this bpfseal: version 1 did not sign "
                                    "every byte of the file"
                     : version == 2 ? "re-seal the object with this bpfseal: version 2's "
                                      "loader-check prologue did not check map->frozen"
                                    : "use a bpfseal release that matches the sealer");
  uint32_t loader_count = getU32(index.data() + ix::kLoaderCount);
  uint32_t metadata_size = getU32(index.data() + ix::kMetadataSize);
  if (getU32(index.data() + ix::kSlotSize) != kSignatureSlotSize)
    return malformed(".bpfseal.index signature slot size is not " +
                     std::to_string(kSignatureSlotSize));
  if (index.size() != ix::kHeaderSize + size_t(loader_count) * ix::kEntrySize)
    return malformed(".bpfseal.index size does not match its loader count");
  const elf::Section *meta_sec = img->find(kMetadataSection);
  if (!meta_sec)
    return malformed("no .bpfseal.meta section");
  std::span<const uint8_t> meta = img->contents(*meta_sec);
  if (meta.size() != metadata_size)
    return malformed("metadata size differs from the index");

  SealedObject sealed;
  sealed.metadata.assign(meta.begin(), meta.end());
  sealed.metadata_sha256 = sha256(meta);
  auto view = splitMetadata(meta);
  if (!view)
    return view.takeError();
  auto manifest = parseManifest(view->manifest_json);
  if (!manifest)
    return manifest.takeError();
  sealed.manifest = manifest.take();
  const Manifest &m = sealed.manifest;
  if (m.loaders.size() != loader_count)
    return malformed("index and manifest list different loaders");

  // Every .bpfseal.* section is one the manifest accounts for: a section the
  // digest blanks must belong to a signed loader.
  for (const elf::Section &s : img->sections) {
    if (!startsWith(s.name, ".bpfseal.") || s.name == kIndexSection || s.name == kMetadataSection ||
        s.name == kUnitSection)
      continue;
    bool known = false;
    for (const LoaderInfo &l : m.loaders)
      known |=
          s.name == kLoaderSectionPrefix + l.name || s.name == kSignatureSectionPrefix + l.name;
    if (!known)
      return malformed("section '" + printable(s.name) + "' belongs to no loader of the manifest");
  }
  phase.record("parse (ELF, index, manifest)");
  Status digests = checkDigests(*img, m);
  phase.record("digests (file + " + std::to_string(m.sections.size()) + " sections)");
  if (!digests)
    return digests.takeError();

  for (uint32_t i = 0; i < loader_count; ++i) {
    const uint8_t *e = index.data() + ix::kHeaderSize + i * ix::kEntrySize;
    const LoaderInfo &info = m.loaders[i];
    char name[33] = {};
    std::memcpy(name, e + ix::kName, 32);
    if (!detail::validLoaderName(info.name) || info.name != name ||
        std::any_of(e + info.name.size(), e + 32, [](uint8_t c) { return c; }))
      return malformed("index entry " + std::to_string(i) +
                       " does not name the signed manifest's loader");
    MapLayout layout;
    layout.excl_off = int32_t(getU32(e + ix::kExclOff));
    for (const ix::LayoutField &f : ix::kLayoutFields)
      layout.*f.member = getU32(e + f.off);
    if (getU32(e + ix::kKind) != uint32_t(info.kind) || !(layout == info.layout))
      return malformed("index entry for loader '" + info.name +
                       "' differs from the signed manifest");
    const elf::Section *insns_sec = img->find(kLoaderSectionPrefix + info.name);
    if (!insns_sec)
      return malformed("no loader section for '" + info.name + "'");
    std::span<const uint8_t> insns = img->contents(*insns_sec);
    if (insns.empty() || insns.size() != size_t(getU32(e + ix::kInsnCount)) * 8)
      return malformed("loader '" + info.name + "' size differs from the index");
    const elf::Section *slot_sec = img->find(kSignatureSectionPrefix + info.name);
    if (!slot_sec)
      return malformed("no signature slot for loader '" + info.name + "'");
    auto sig = readSlot(img->contents(*slot_sec), info.name);
    if (!sig)
      return sig.takeError();
    if (sealed.findLoader(info.name))
      return malformed("loader '" + info.name + "' is listed twice");
    sealed.loaders.push_back({info, {insns.begin(), insns.end()}, sig.take()});
  }
  if (Status st = checkLoaders(sealed); !st)
    return st.takeError();
  sealed.file = std::move(img->bytes); // the buffer stays where libelf saw it
  phase.record("loader checks (" + std::to_string(loader_count) + " loaders)");
  return sealed;
}

} // namespace

Result<SealedObject> readSealed(std::span<const uint8_t> file) {
  return readSealedImpl(std::vector<uint8_t>(file.begin(), file.end()));
}

Result<SealedObject> readSealedOwned(std::vector<uint8_t> &&file) {
  return readSealedImpl(std::move(file));
}

Result<std::vector<uint8_t>>
writeSealed(std::span<const uint8_t> base_elf, const SealInput &input,
            const std::map<std::string, std::vector<uint8_t>> &overrides) {
  auto img = elf::open(base_elf);
  if (!img)
    return img.takeError();
  if (img->find(kIndexSection))
    return makeError(EEXIST, "input is already sealed",
                     "seal the linked BPF object, not a sealed one");
  for (const elf::Section &s : img->sections)
    if (startsWith(s.name, ".bpfseal.") && s.name != kUnitSection)
      return makeError(EINVAL,
                       "input has a section named '" + printable(s.name) +
                           "', a name reserved for sealed objects",
                       "seal the linked BPF object produced by clang or 'bpfseal link'");
  if (input.loader_body.empty() || input.loader_body.size() % 8)
    return makeError(EINVAL, "loader body is not a whole number of instructions");
  for (const LoaderInfo &l : input.manifest.loaders)
    if (!detail::validLoaderName(l.name))
      return makeError(EINVAL, "loader name '" + printable(l.name) +
                                   "' is not 1..31 characters of [a-z0-9_-]");

  // Lays out the file for a manifest; sizes (hence offsets) depend only on
  // the manifest's size, which the digests do not change (fixed-width hex).
  auto emit = [&](const Manifest &m) -> Result<std::vector<uint8_t>> {
    if (Status st = detail::checkManifestText(m); !st)
      return st.takeError();
    std::vector<uint8_t> metadata = buildMetadata(input.blob, m);
    if (metadata.size() > UINT32_MAX / 2)
      return makeError(E2BIG, "metadata is larger than a map value can be");
    std::vector<std::vector<uint8_t>> loaders;
    const Sha256 metadata_sha = sha256(metadata);
    for (const LoaderInfo &l : m.loaders) {
      std::vector<uint8_t> insns =
          buildPrologue(prologueSpecFor(m, l, uint32_t(metadata.size()), metadata_sha));
      insns.insert(insns.end(), input.loader_body.begin(), input.loader_body.end());
      loaders.push_back(std::move(insns));
    }
    std::vector<elf::NewSection> extra;
    extra.push_back({kIndexSection, buildIndex(m, metadata.size(), loaders)});
    extra.push_back({kMetadataSection, std::move(metadata)});
    for (size_t i = 0; i < m.loaders.size(); ++i)
      extra.push_back({kLoaderSectionPrefix + m.loaders[i].name, std::move(loaders[i])});
    for (const LoaderInfo &l : m.loaders)
      extra.push_back({kSignatureSectionPrefix + l.name, makeSlot({})});
    return elf::rewrite(*img, overrides, extra);
  };

  // Pass 1 finds which sections the file has; pass 2 lays the file out with
  // the final manifest size; pass 3 writes the digests of pass 2's bytes.
  Manifest m = input.manifest;
  m.format_version = kFormatVersion;
  m.sections.clear();
  m.file_digest = {};
  auto first = emit(m);
  if (!first)
    return first.takeError();
  auto first_img = elf::open(*first);
  if (!first_img)
    return first_img.takeError();
  auto first_digests = computeDigests(*first_img);
  if (!first_digests)
    return first_digests.takeError();
  for (const SectionDigest &s : first_digests->sections)
    m.sections.push_back({s.name, s.size, {}});
  auto second = emit(m);
  if (!second)
    return second.takeError();
  auto second_img = elf::open(*second);
  if (!second_img)
    return second_img.takeError();
  auto digests = computeDigests(*second_img);
  if (!digests)
    return digests.takeError();
  Digests d = digests.take();
  m.sections = d.sections;
  m.file_digest = d.file;
  auto out = emit(m);
  if (!out)
    return out.takeError();
  // The layout must not have moved between passes 2 and 3.
  if (auto check = readSealed(*out); !check)
    return makeError(EFAULT, "the sealed object does not read back: " + check.error().msg,
                     "this is a bpfseal bug; please report it with the input object");
  return out;
}

Result<std::vector<uint8_t>>
replaceSignatures(std::span<const uint8_t> file,
                  const std::map<std::string, std::vector<uint8_t>> &signatures) {
  auto sealed = readSealed(file);
  if (!sealed)
    return sealed.takeError();
  auto img = elf::open(file);
  if (!img)
    return img.takeError();
  std::vector<uint8_t> out(file.begin(), file.end());
  for (const auto &[loader, sig] : signatures) {
    if (!sealed->findLoader(loader))
      return makeError(ENOENT, "sealed object has no loader '" + printable(loader) + "'",
                       "run 'bpfseal inspect' to list its loaders");
    if (sig.size() > kMaxSignatureSize)
      return makeError(E2BIG, "signature for loader '" + loader + "' is larger than 4096 bytes");
    const elf::Section *slot = img->find(kSignatureSectionPrefix + loader);
    std::vector<uint8_t> bytes = makeSlot(sig);
    std::copy(bytes.begin(), bytes.end(), out.begin() + slot->offset);
  }
  return out;
}

} // namespace bpfseal::format

// The sealed object format (docs/FORMAT.md), written in exactly one place:
// the sealer writes it through this API and every reader (sign, verify,
// inspect, the runtime) parses it through this API.
#pragma once

#include "bpfseal/api.h"
#include "bpfseal/error.h"

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bpfseal::format {

inline constexpr uint32_t kFormatVersion = 3;
inline constexpr char kIndexSection[] = ".bpfseal.index";
inline constexpr char kMetadataSection[] = ".bpfseal.meta";
inline constexpr char kLoaderSectionPrefix[] = ".bpfseal.loader.";
inline constexpr char kSignatureSectionPrefix[] = ".bpfseal.sig.";
inline constexpr char kUnitSection[] = ".bpfseal.unit"; // per-TU manifest (plugin)
inline constexpr char kMetadataTrailerMagic[8] = {'B', 'P', 'F', 'S', 'M', 'E', 'T', 'A'};
inline constexpr size_t kMaxLoaderNameLen = 31;
inline constexpr size_t kMaxSignatureSize = 4096; // as upstream bpftool
// Every .bpfseal.sig.<name> section is a fixed-size slot: u32 length (LE),
// the DER signature, zeros. `seal` reserves it and `sign` only fills it, so
// signing moves no byte of the file and the file digest can cover the rest.
inline constexpr size_t kSignatureSlotSize = 8 + kMaxSignatureSize;
using Sha256 = std::array<uint8_t, 32>;

enum class LoaderKind : uint32_t {
  // Signature covers insns || metadata; verified at load by 7.3+ kernels.
  KernelCheck = 1,
  // Signature covers insns only; the loader's prologue checks map->sha and
  // exclusivity at the offsets of one struct bpf_map layout (6.18 scheme).
  LoaderCheck = 2,
};
BPFSEAL_API std::string_view loaderKindName(LoaderKind kind); // "kernel-check", ...

// What a failing loader-check prologue returns as the loader's retval. The
// gen_loader body after it returns only 0 or a kernel -errno, so positive
// values name the prologue's verdict without ambiguity. Fixed by the format:
// the sealer emits them, the runtime and tests map them to causes.
enum class PrologueVerdict : int {
  WrongLayout = 1,  // struct bpf_map self-check failed: variant for another kernel
  HashMismatch = 2, // map->sha != SHA-256(metadata) baked into the loader
  NotExclusive = 3, // metadata map not exclusive (excl unset, excl_prog_sha NULL or zero)
};

// Byte offsets of the struct bpf_map fields a loader-check prologue reads.
// sha[32] is always at 0. excl_off < 0: the kernel has no `excl` field.
// `frozen` (bool) is a known value (the metadata map is always frozen) past
// the members whose size changes between kernels, so a variant whose
// excl/excl_prog_sha offsets are not the kernel's also reads `frozen` in the
// wrong place (sealer::checkDistinguishable refuses layout sets where that
// does not hold).
struct MapLayout {
  int32_t excl_off = -1;
  uint32_t excl_prog_sha_off = 0;
  uint32_t map_type_off = 0;
  uint32_t key_size_off = 0;
  uint32_t value_size_off = 0;
  uint32_t max_entries_off = 0;
  uint32_t frozen_off = 0;
  bool operator==(const MapLayout &) const = default;
};

struct ProgramInfo {
  std::string name;        // bpf_program__name
  std::string section;     // libbpf section name, e.g. "tp/sched/sched_switch"
  std::string type;        // libbpf_bpf_prog_type_str()
  std::string attach_type; // libbpf_bpf_attach_type_str(), may be empty
  std::string source;      // "file.bpf.c:42" when the plugin recorded it
  // The kernel function an fentry/fexit/fmod_ret program attaches to when
  // `bpfseal seal --attach-target` replaced the one its section names; empty:
  // the section's.
  std::string attach_target;
};

struct MapInfo {
  std::string name;  // bpf_map__name, e.g. "counts" or "app.rodata"
  std::string type;  // libbpf_bpf_map_type_str()
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t flags = 0;
  bool internal = false; // .rodata/.data/.bss/.kconfig
};

struct BakedValue {
  std::string name;    // variable name
  std::string section; // ".rodata" or ".data"
  std::string type;    // C type as BTF spells it, e.g. "unsigned int"
  std::string value;   // canonical textual value
  uint32_t offset = 0; // within the section
  uint32_t size = 0;
};

struct LoaderInfo {
  std::string name;
  LoaderKind kind = LoaderKind::KernelCheck;
  MapLayout layout;    // meaningful for LoaderCheck only
  std::string kernels; // which kernels this variant was measured on
};

// One alternative program group (`bpfseal seal --alternative NAME=PROG,...`):
// the load keeps the first group of the manifest's list whose programs the
// kernel all accepted, and closes every program of the other groups.
struct AlternativeGroup {
  std::string name;                  // 1..31 of [a-z0-9_-], e.g. "fentry"
  std::vector<std::string> programs; // names in `programs`, each in one group only
  bool operator==(const AlternativeGroup &) const = default;
};

// SHA-256 of one ELF section of the sealed file as it was written (every
// section but the metadata, loader and signature sections, which the file
// digest blanks). Lets a reader name the section that changed.
struct SectionDigest {
  std::string name;
  uint64_t size = 0;
  Sha256 sha256{};
  bool operator==(const SectionDigest &) const = default;
};

// Everything the runtime uses to decide what runs where. It is stored inside
// the metadata, so the hash chain and every signature cover it.
struct Manifest {
  uint32_t format_version = kFormatVersion;
  std::string object_name;  // e.g. "app"; prefix of internal map names
  uint64_t object_version = 0; // `seal --version N`: rollback protection
  std::string license;
  std::string tool_version; // bpfseal version that sealed the object
  std::vector<ProgramInfo> programs; // in loader ctx prog_desc order
  std::vector<MapInfo> maps;         // in loader ctx map_desc order
  std::vector<BakedValue> baked; // also ".kconfig" values (`--set` of __kconfig externs)
  // Programs of the object that `bpfseal seal --disable` left out: not loaded,
  // not in `programs`.
  std::vector<std::string> disabled_programs;
  // Alternative program groups, most preferred first (at least two when
  // present). Programs of a group are in `programs` like any other, but
  // their loads are optional in the loader body (docs/FORMAT.md); programs in
  // no group are mandatory. Serialized only when non-empty ("alternatives").
  std::vector<AlternativeGroup> alternatives;
  std::vector<LoaderInfo> loaders;
  std::string units_json = "[]"; // JSON array of the plugin's unit manifests
  // Whole-file coverage (filled in by writeSealed): the digest of the file
  // with the contents of .bpfseal.meta, .bpfseal.loader.* and .bpfseal.sig.*
  // zeroed, and the digest of every other section.
  Sha256 file_digest{};
  std::vector<SectionDigest> sections;
};

// Canonical JSON: fixed key order, no insignificant whitespace, so equal
// manifests serialize to equal bytes.
std::string serializeManifest(const Manifest &manifest);
Result<Manifest> parseManifest(std::string_view json);

// metadata = gen_loader data blob || manifest JSON || trailer
//   trailer = magic[8] "BPFSMETA" | u32 blob_size | u32 manifest_size  (LE)
// The blob comes first because the loader addresses it from offset 0.
std::vector<uint8_t> buildMetadata(std::span<const uint8_t> blob, const Manifest &manifest);
struct MetadataView {
  std::span<const uint8_t> blob;
  std::string_view manifest_json;
};
Result<MetadataView> splitMetadata(std::span<const uint8_t> metadata);

struct LoaderImage {
  LoaderInfo info;
  std::vector<uint8_t> insns;     // struct bpf_insn[], little endian
  std::vector<uint8_t> signature; // DER CMS, empty while unsigned
};

struct SealedObject {
  std::vector<uint8_t> file;     // the whole file as read and checked
  std::vector<uint8_t> metadata;
  Manifest manifest;            // parsed from metadata
  Sha256 metadata_sha256{};
  std::vector<LoaderImage> loaders;

  BPFSEAL_API const LoaderImage *findLoader(std::string_view name) const;
  BPFSEAL_API size_t blobSize() const;
};

// Parses and cross-checks a sealed object. Any disagreement is an error:
//  - the ELF is well formed (what llvm-readelf accepts: sizes, no overlaps);
//  - the file digest and every section digest equal the manifest's, so every
//    byte but the metadata, loader and signature contents is bound to the
//    manifest (the error names the section, or "file layout");
//  - the index agrees with the manifest's loader list;
//  - every loader is exactly bpfseal's prologue for its declared kind and
//    layout (embedding this metadata's SHA-256) followed by one loader body
//    shared by all loaders, so no loader can be relabelled or lack a check;
//  - signature slots hold a length and zeros after the signature.
// Nothing here checks signatures (signing/ does): the manifest, and through
// it the file digest, is trusted only once a loader's signature verifies.
Result<SealedObject> readSealed(std::span<const uint8_t> file);
// The same, keeping `file` as SealedObject::file instead of a copy of it.
Result<SealedObject> readSealedOwned(std::vector<uint8_t> &&file);

// What the sealer hands the writer: the gen_loader recording and the
// manifest. The writer builds every loader (prologue + body) and fills the
// manifest's file and section digests.
struct SealInput {
  std::vector<uint8_t> blob;        // gen_loader data blob
  std::vector<uint8_t> loader_body; // gen_loader instructions
  Manifest manifest;
};

// Writes a sealed object: the sections of `base_elf` (a BPF ELF, copied
// unchanged but for `section_overrides`, e.g. baked .rodata), then the index,
// metadata, loaders and empty signature slots.
Result<std::vector<uint8_t>>
writeSealed(std::span<const uint8_t> base_elf, const SealInput &input,
            const std::map<std::string, std::vector<uint8_t>> &section_overrides = {});

// Returns `file` with the signature slots of the named loaders filled with
// `signatures` (loaders not named keep theirs). Only slot bytes change.
Result<std::vector<uint8_t>>
replaceSignatures(std::span<const uint8_t> file,
                  const std::map<std::string, std::vector<uint8_t>> &signatures);

// The exact bytes a kernel scheme verifies for `loader`:
// KernelCheck: insns || metadata;  LoaderCheck: insns.
std::vector<uint8_t> signedPayload(const SealedObject &sealed, const LoaderImage &loader);

// Text from an artifact or a user, made safe for a terminal, a log or a JSON
// string shown to a person: ASCII controls, DEL, backslash, bytes that are
// not UTF-8, C1 controls and bidirectional overrides become \xNN / \u{NNNN};
// everything else (printable ASCII and UTF-8 text) is kept.
std::string escapeText(std::string_view text);

Sha256 sha256(std::span<const uint8_t> bytes);
std::string hex(std::span<const uint8_t> bytes);

// File helpers shared by the CLI and the sealer. writeFileAtomic writes to a
// temporary file beside `path` and renames it, so a failure leaves nothing.
Result<std::vector<uint8_t>> readFile(const std::string &path);
Status writeFileAtomic(const std::string &path, std::span<const uint8_t> bytes,
                       unsigned mode = 0644);

} // namespace bpfseal::format

// metadata = blob || manifest || padding || trailer (docs/FORMAT.md "Metadata").
#include "format_internal.h"

#include <openssl/evp.h>

#include <cstring>

namespace bpfseal::format {
namespace {

using detail::getU32;
using detail::malformed;
using detail::putU32;

constexpr size_t kTrailerSize = 16;
constexpr size_t kMaxManifestSize = 16u << 20;

} // namespace

std::vector<uint8_t> buildMetadata(std::span<const uint8_t> blob, const Manifest &manifest) {
  std::string json = serializeManifest(manifest);
  std::vector<uint8_t> out(blob.begin(), blob.end());
  out.insert(out.end(), json.begin(), json.end());
  // The kernel hashes an array map's whole element, which it rounds up to 8
  // bytes: zero-pad so that map->sha == SHA-256(metadata).
  out.resize((out.size() + kTrailerSize + 7) / 8 * 8 - kTrailerSize, 0);
  out.insert(out.end(), std::begin(kMetadataTrailerMagic), std::end(kMetadataTrailerMagic));
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
  return MetadataView{md.subspan(0, blob_size),
                      std::string_view(reinterpret_cast<const char *>(md.data()) + blob_size,
                                       json_size)};
}

Sha256 sha256(std::span<const uint8_t> bytes) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
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

} // namespace bpfseal::format

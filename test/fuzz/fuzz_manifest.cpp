// The manifest JSON parser: anything it accepts must serialize canonically
// and parse back to the same manifest.
#include "bpfseal/format.h"

#include <cstdio>
#include <cstdlib>

using namespace bpfseal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  auto m = format::parseManifest(text);
  if (!m)
    return 0;
  std::string canon = format::serializeManifest(*m);
  auto again = format::parseManifest(canon);
  if (!again || format::serializeManifest(*again) != canon) {
    std::fprintf(stderr, "manifest does not round-trip\n");
    std::abort();
  }
  return 0;
}

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

// Format 2 binds every byte but the signatures to the signed manifest, so a
// mutation outside a signature slot is refused at the digest check (which is
// what this target shows: never a crash, always a one-line error). The
// manifest parser behind that gate has its own target (fuzz_manifest.cpp).
void exercise(std::span<const uint8_t> file);

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exercise({data, size});
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

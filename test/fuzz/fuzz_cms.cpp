// Detached CMS signatures as read from a signature section or a .p7s file.
#include "common.h"

#include "bpfseal/signing.h"

using namespace bpfseal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const uint8_t> der(data, size);
  static const uint8_t payload[] = "bpfseal fuzz payload";
  (void)signing::checkSignatureShape(der);
  (void)signing::describeSignature(der);
  (void)signing::describeSignature(der, fuzz::identity().trust);
  (void)signing::verifyDetached(fuzz::identity().trust, payload, der);
  return 0;
}

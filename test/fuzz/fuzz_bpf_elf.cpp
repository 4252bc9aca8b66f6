// The sealer's input checks on mutated BPF objects: elf_util's sanity checks
// (which must reject before libbpf sees a damaged object) and, for inputs
// they accept, the whole seal.
#include "bpfseal/sealer.h"

#include "../../sealer/src/elf_util.h"

#include <cstdlib>

using namespace bpfseal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  if (!sealer::elf::checkBpfElf(bytes))
    return 0;
  (void)sealer::elf::mapsWithInitialSlots(bytes);
  if (getenv("BPFSEAL_FUZZ_SEAL")) {
    sealer::SealOptions opts;
    (void)sealer::sealObject(bytes, opts);
  }
  return 0;
}

#include "commands.h"

namespace bpfseal::cli {

int runSeal(int, char **) {
  return reportError("seal", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

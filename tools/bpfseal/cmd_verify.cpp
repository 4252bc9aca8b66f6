#include "commands.h"

namespace bpfseal::cli {

int runVerify(int, char **) {
  return reportError("verify", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

#include "commands.h"

namespace bpfseal::cli {

int runProbe(int, char **) {
  return reportError("probe", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

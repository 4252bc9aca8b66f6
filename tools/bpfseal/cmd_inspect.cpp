#include "commands.h"

namespace bpfseal::cli {

int runInspect(int, char **) {
  return reportError("inspect", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

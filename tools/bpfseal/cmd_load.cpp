#include "commands.h"

namespace bpfseal::cli {

int runLoad(int, char **) {
  return reportError("load", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

#include "commands.h"

namespace bpfseal::cli {

int runKeygen(int, char **) {
  return reportError("keygen", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

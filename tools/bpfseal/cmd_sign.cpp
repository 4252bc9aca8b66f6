#include "commands.h"

namespace bpfseal::cli {

int runSign(int, char **) {
  return reportError("sign", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

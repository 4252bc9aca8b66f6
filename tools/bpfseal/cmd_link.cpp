#include "commands.h"

namespace bpfseal::cli {

int runLink(int, char **) {
  return reportError("link", makeError(ENOSYS, "not implemented yet"));
}

} // namespace bpfseal::cli

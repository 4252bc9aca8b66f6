#include "commands.h"

#include <cstdio>

namespace bpfseal::cli {

int reportError(const char *command, const Error &error) {
  std::fprintf(stderr, "bpfseal %s: error: %s\n", command, error.str().c_str());
  return 1;
}

int usageError(const char *command, const std::string &what) {
  std::fprintf(stderr, "bpfseal %s: error: %s (hint: run 'bpfseal %s --help')\n",
               command, what.c_str(), command);
  return 2;
}

} // namespace bpfseal::cli

#include "commands.h"

#include <cstdio>

namespace bpfseal::cli {

int reportError(const char *command, const Error &error) {
  std::fprintf(stderr, "bpfseal %s: error: %s\n", command, error.str().c_str());
  return 1;
}

Result<SealedFile> readSealedFile(const std::string &path, const char *parse_hint) {
  auto file = format::readFile(path);
  if (!file)
    return file.takeError();
  auto sealed = format::readSealed(*file);
  if (!sealed) {
    Error e = sealed.takeError();
    e.msg = path + ": " + e.msg;
    if (e.hint.empty() && parse_hint)
      e.hint = parse_hint;
    return e;
  }
  return SealedFile{file.take(), sealed.take()};
}

int usageError(const char *command, const std::string &what) {
  std::fprintf(stderr, "bpfseal %s: error: %s (hint: run 'bpfseal %s --help')\n",
               command, what.c_str(), command);
  return 2;
}

} // namespace bpfseal::cli

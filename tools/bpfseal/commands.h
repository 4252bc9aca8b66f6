// One function per `bpfseal` subcommand; each lives in cmd_<name>.cpp and
// only parses arguments and prints: the work is done by the libraries.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bpfseal::cli {

int runLink(int argc, char **argv);
int runSeal(int argc, char **argv);
int runSign(int argc, char **argv);
int runVerify(int argc, char **argv);
int runInspect(int argc, char **argv);
int runKeygen(int argc, char **argv);
int runLoad(int argc, char **argv);
int runProbe(int argc, char **argv);
int runGenSkeleton(int argc, char **argv);

// Prints "bpfseal <cmd>: error: <cause> [ERRNO] (hint: ...)" on one line to
// stderr and returns the exit status to use (1).
int reportError(const char *command, const Error &error);
// A sealed object read from `path` and parsed (format::readSealed); a parse
// error names the path and gets `parse_hint` when it carries no hint.
struct SealedFile {
  std::vector<uint8_t> bytes;
  format::SealedObject sealed;
};
Result<SealedFile> readSealedFile(const std::string &path, const char *parse_hint = nullptr);

// Prints a usage error for `command` and returns 2.
int usageError(const char *command, const std::string &what);

} // namespace bpfseal::cli

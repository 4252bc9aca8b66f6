// One function per `bpfseal` subcommand; each lives in cmd_<name>.cpp and
// only parses arguments and prints: the work is done by the libraries.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
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
int runEnforce(int argc, char **argv);
int runAudit(int argc, char **argv);

// Prints "bpfseal <cmd>: error: <cause> [ERRNO] (hint: ...)" on one line to
// stderr (printable()) and returns the exit status to use (1). With --json it
// also prints the JSON error object (errorJson) on stdout.
int reportError(const char *command, const Error &error);
// reportError for a command whose --json report was partly filled: the
// report gets "ok": false and "error": errorJson(...).
int reportFailure(const char *command, const Error &error, nlohmann::ordered_json report);
// The one JSON error shape of every command (tools/bpfseal/README.md):
// {"command", "errno" (name), "code" (number), "message", "hint" (optional)}.
nlohmann::ordered_json errorJson(const char *command, const Error &error);
// Set by main when the command line holds --json: errors are also JSON.
void setJsonErrors(bool on);

// Text from an artifact (or a user) made safe for a terminal: C0 and C1
// control characters, DEL and backslash become \n, \t, \xHH, \u0080..\u009f,
// \\; bytes that are not UTF-8 become \xHH. No escape sequence gets through.
std::string printable(std::string_view s);
// JSON output of every command: indented, ASCII only (\u escapes), invalid
// UTF-8 replaced, so a terminal never receives a control character.
std::string jsonText(const nlohmann::ordered_json &j);
// A sealed object read from `path` and parsed (format::readSealed); a parse
// error names the path and gets `parse_hint` when it carries no hint.
struct SealedFile {
  std::vector<uint8_t> bytes;
  format::SealedObject sealed;
};
Result<SealedFile> readSealedFile(const std::string &path, const char *parse_hint = nullptr);

// A struct bpf_map layout (the offsets a loader-check prologue reads), for
// inspect and probe: "no excl excl_prog_sha@280 map_type@56 ... frozen@249".
std::string layoutText(const format::MapLayout &l);
nlohmann::ordered_json layoutJson(const format::MapLayout &l);

// Prints a usage error for `command` and returns 2.
int usageError(const char *command, const std::string &what);

} // namespace bpfseal::cli

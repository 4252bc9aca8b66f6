#include "commands.h"

#include <cstdio>
#include <string_view>

namespace bpfseal::cli {

namespace {

// --json of the running command: reportError then also prints the JSON error
// object on stdout (see setJsonErrors).
bool g_json_errors = false;

// Length of the valid UTF-8 sequence at s[i], or 0 when there is none.
size_t utf8Length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80             ? 1
             : (c & 0xe0) == 0xc0 ? 2
             : (c & 0xf0) == 0xe0 ? 3
             : (c & 0xf8) == 0xf0 ? 4
                                  : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80)
      return 0;
  uint32_t cp = n == 1 ? c : c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (b(i + k) & 0x3f);
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

} // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = utf8Length(s, i);
    if (n == 0) { // not UTF-8: show the byte
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
      continue;
    }
    // C1 controls (U+0080..U+009F; 0x9b is CSI on some terminals).
    bool c1 = n == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0;
    if (n == 1 && (c < 0x20 || c == 0x7f || c == '\\')) {
      switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: std::snprintf(buf, sizeof buf, "\\x%02x", c); out += buf;
      }
    } else if (c1) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(s[i + 1]));
      out += buf;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string jsonText(const nlohmann::ordered_json &j) {
  // ensure_ascii: every non-ASCII character (C1 controls included) and every
  // control character leaves as a \u escape; invalid UTF-8 is replaced.
  return j.dump(2, ' ', true, nlohmann::ordered_json::error_handler_t::replace);
}

nlohmann::ordered_json errorJson(const char *command, const Error &error) {
  nlohmann::ordered_json e = {{"command", command},
                              {"errno", errnoName(error.err)},
                              {"code", error.err},
                              {"message", error.msg}};
  if (!error.hint.empty())
    e["hint"] = error.hint;
  return e;
}

void setJsonErrors(bool on) { g_json_errors = on; }

int reportError(const char *command, const Error &error) {
  return reportFailure(command, error, nlohmann::ordered_json::object());
}

int reportFailure(const char *command, const Error &error, nlohmann::ordered_json report) {
  if (g_json_errors) {
    if (!report.is_object())
      report = nlohmann::ordered_json::object();
    report["ok"] = false;
    report["error"] = errorJson(command, error);
    std::printf("%s\n", jsonText(report).c_str());
    std::fflush(stdout);
  }
  std::fprintf(stderr, "bpfseal %s: error: %s\n", command, printable(error.str()).c_str());
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
  if (g_json_errors) {
    nlohmann::ordered_json report = {{"ok", false},
                                     {"error",
                                      errorJson(command, makeError(EINVAL, what,
                                                                   std::string("run 'bpfseal ") +
                                                                       command + " --help'"))}};
    report["error"]["usage"] = true;
    std::printf("%s\n", jsonText(report).c_str());
  }
  std::fprintf(stderr, "bpfseal %s: error: %s (hint: run 'bpfseal %s --help')\n", command,
               printable(what).c_str(), command);
  return 2;
}

std::string layoutText(const format::MapLayout &l) {
  std::string s = l.excl_off < 0 ? "no excl" : "excl@" + std::to_string(l.excl_off);
  s += " excl_prog_sha@" + std::to_string(l.excl_prog_sha_off) + " map_type@" +
       std::to_string(l.map_type_off) + " key_size@" + std::to_string(l.key_size_off) +
       " value_size@" + std::to_string(l.value_size_off) + " max_entries@" +
       std::to_string(l.max_entries_off) + " frozen@" + std::to_string(l.frozen_off);
  return s;
}

nlohmann::ordered_json layoutJson(const format::MapLayout &l) {
  return {{"excl", l.excl_off},
          {"excl_prog_sha", l.excl_prog_sha_off},
          {"map_type", l.map_type_off},
          {"key_size", l.key_size_off},
          {"value_size", l.value_size_off},
          {"max_entries", l.max_entries_off},
          {"frozen", l.frozen_off}};
}

} // namespace bpfseal::cli

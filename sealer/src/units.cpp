#include "units.h"

#include <nlohmann/json.hpp>

namespace bpfseal::sealer::units {

using ojson = nlohmann::ordered_json;

namespace {

// A unit ends up inside the sealed manifest, whose readers refuse more than
// 64 levels of nesting (format.cpp); dump() and copies also recurse, so a
// hostile "[[[[..." must not be built at all. 48 leaves room for the
// manifest's own levels.
constexpr int kMaxUnitDepth = 48;

struct TooDeep {};

ojson parseBounded(const std::string &text) {
  auto cb = [](int depth, ojson::parse_event_t ev, ojson &) {
    if ((ev == ojson::parse_event_t::object_start || ev == ojson::parse_event_t::array_start) &&
        depth >= kMaxUnitDepth)
      throw TooDeep{};
    return true;
  };
  return ojson::parse(text, cb, /*allow_exceptions=*/false);
}

std::string stringField(const ojson &obj, const char *key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

Status collect(std::span<const uint8_t> section, const std::string &origin,
               std::vector<std::string> &out) {
  std::string text(section.begin(), section.end());
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos)
      end = text.size();
    std::string piece = text.substr(start, end - start);
    start = end + 1;
    if (piece.find_first_not_of(" \t\r\n") == std::string::npos)
      continue; // alignment padding between concatenated units
    ojson j;
    try {
      j = parseBounded(piece);
    } catch (const TooDeep &) {
      return makeError(EBADMSG,
                       origin + ": .bpfseal.unit JSON is nested deeper than " +
                           std::to_string(kMaxUnitDepth) + " levels",
                       "rebuild the object with the bpfseal Clang plugin");
    }
    if (j.is_discarded())
      return makeError(EBADMSG, origin + ": .bpfseal.unit holds text that is not JSON",
                       "rebuild the object with the bpfseal Clang plugin");
    if (j.is_object()) {
      out.push_back(j.dump());
    } else if (j.is_array()) {
      for (const ojson &u : j) {
        if (!u.is_object())
          return makeError(EBADMSG, origin + ": .bpfseal.unit array holds a non-object",
                           "relink the objects with 'bpfseal link'");
        out.push_back(u.dump());
      }
    } else {
      return makeError(EBADMSG, origin + ": .bpfseal.unit is neither a JSON object nor an array",
                       "rebuild the object with the bpfseal Clang plugin");
    }
  }
  return ok();
}

std::string toArray(const std::vector<std::string> &units) {
  std::string s = "[";
  for (size_t i = 0; i < units.size(); ++i) {
    if (i)
      s += ',';
    s += units[i];
  }
  return s + "]";
}

std::string sourceOf(const std::vector<std::string> &units, const std::string &name,
                     const std::string &section) {
  std::string found;
  int matches = 0;
  for (const std::string &text : units) {
    // Units passed collect(), so parsing is bounded; fields may still have
    // any type (ojson::value() would throw on a mismatch).
    ojson u = ojson::parse(text, nullptr, false);
    if (!u.is_object() || !u.contains("programs") || !u["programs"].is_array())
      continue;
    for (const ojson &p : u["programs"]) {
      if (!p.is_object() || stringField(p, "function") != name ||
          stringField(p, "section") != section)
        continue;
      ++matches;
      if (p.contains("file") && p["file"].is_string() && p.contains("line") &&
          p["line"].is_number_integer())
        found = p["file"].get<std::string>() + ":" + std::to_string(p["line"].get<int64_t>());
    }
  }
  return matches == 1 ? found : std::string();
}

} // namespace bpfseal::sealer::units

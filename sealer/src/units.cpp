#include "units.h"

#include <nlohmann/json.hpp>

namespace bpfseal::sealer::units {

using ojson = nlohmann::ordered_json;

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
    ojson j = ojson::parse(piece, nullptr, /*allow_exceptions=*/false);
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
    ojson u = ojson::parse(text, nullptr, false);
    if (!u.is_object() || !u.contains("programs") || !u["programs"].is_array())
      continue;
    for (const ojson &p : u["programs"]) {
      if (!p.is_object() || p.value("function", "") != name ||
          p.value("section", "") != section)
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

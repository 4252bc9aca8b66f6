#include "format_internal.h"

#include <algorithm>
#include <cstdio>

namespace bpfseal::format::detail {

Error malformed(std::string what) {
  return makeError(EBADMSG, "malformed sealed object: " + std::move(what),
                   "re-seal the object with 'bpfseal seal'; it was damaged or "
                   "tampered with");
}

void putU32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}

uint32_t getU32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (n == 9 || s.size() - i - 1 < n)
      return false;
    uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return false;
    i += n + 1;
  }
  return true;
}

Status checkManifestText(const Manifest &m) {
  auto check = [](const std::string &what, const std::string &v) -> Status {
    if (validUtf8(v))
      return ok();
    return makeError(EILSEQ,
                     what + " is not valid UTF-8 (hex " +
                         hex({reinterpret_cast<const uint8_t *>(v.data()),
                              std::min<size_t>(v.size(), 48)}) +
                         ")",
                     "the BPF object is damaged or was not built by clang; rebuild it");
  };
  std::vector<std::pair<std::string, const std::string *>> all = {
      {"object name", &m.object_name}, {"license", &m.license}, {"tool version", &m.tool_version}};
  for (size_t i = 0; i < m.programs.size(); ++i) {
    const ProgramInfo &p = m.programs[i];
    std::string who = "program " + std::to_string(i);
    for (auto [f, v] : {std::pair{" name", &p.name},
                        {" section", &p.section},
                        {" type", &p.type},
                        {" attach type", &p.attach_type},
                        {" source", &p.source},
                        {" attach target", &p.attach_target}})
      all.push_back({who + f, v});
  }
  for (size_t i = 0; i < m.maps.size(); ++i)
    for (auto [f, v] : {std::pair{" name", &m.maps[i].name}, {" type", &m.maps[i].type}})
      all.push_back({"map " + std::to_string(i) + f, v});
  for (size_t i = 0; i < m.baked.size(); ++i) {
    const BakedValue &b = m.baked[i];
    for (auto [f, v] : {std::pair{" name", &b.name},
                        {" section", &b.section},
                        {" type", &b.type},
                        {" value", &b.value}})
      all.push_back({"baked value " + std::to_string(i) + f, v});
  }
  for (size_t i = 0; i < m.disabled_programs.size(); ++i)
    all.push_back({"disabled program " + std::to_string(i), &m.disabled_programs[i]});
  for (size_t i = 0; i < m.alternatives.size(); ++i)
    all.push_back({"alternative group " + std::to_string(i) + " name", &m.alternatives[i].name});
  for (size_t i = 0; i < m.loaders.size(); ++i)
    all.push_back({"loader " + std::to_string(i) + " kernels", &m.loaders[i].kernels});
  for (size_t i = 0; i < m.sections.size(); ++i)
    all.push_back({"ELF section " + std::to_string(i) + " name", &m.sections[i].name});
  for (auto &[what, v] : all)
    if (Status st = check(what, *v); !st)
      return st;
  return ok();
}

bool validLoaderName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxLoaderNameLen &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

} // namespace bpfseal::format::detail

namespace bpfseal::format {

std::string escapeText(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
      ++i;
      continue;
    }
    // A whole UTF-8 sequence, if there is one here.
    size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n && i + n <= s.size() && detail::validUtf8(s.substr(i, n))) {
      uint32_t cp = c & (0x7f >> n);
      for (size_t k = 1; k < n; ++k)
        cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
      bool control = cp < 0xa0 || (cp >= 0x202a && cp <= 0x202e) ||
                     (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
      if (!control) {
        out.append(s.substr(i, n));
      } else {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\\u{%04x}", cp);
        out += buf;
      }
      i += n;
      continue;
    }
    out += "\\x";
    out += digits[c >> 4];
    out += digits[c & 15];
    ++i;
  }
  return out;
}

} // namespace bpfseal::format

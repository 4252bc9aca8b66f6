#include "bake.h"

#include "elf_util.h"
#include "libbpf_log.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace bpfseal::sealer {
namespace {

constexpr char kHintDeclare[] =
    "--set works on initialized globals in .rodata/.data, e.g. 'const volatile __u32 NAME = 1;'";

struct Var {
  std::string name;
  std::string section; // DATASEC name == ELF section name
  uint32_t type_id = 0;
  uint32_t offset = 0;
  uint32_t size = 0;
};

bool settableSection(const std::string &s) {
  return s == ".rodata" || s == ".data" || s.rfind(".rodata.", 0) == 0 || s.rfind(".data.", 0) == 0;
}

// What a value must look like for a variable, and how it is encoded.
struct TypeInfo {
  enum Kind { Int, Bool, Enum, String } kind = Int;
  std::string c_name; // as BTF spells it: "unsigned int", "enum mode", "char[16]"
  uint32_t size = 0;
  bool is_signed = false;
  const struct btf_type *t = nullptr; // Enum: the enum type
};

std::optional<TypeInfo> describeType(const struct btf *btf, uint32_t type_id) {
  int id = btf__resolve_type(btf, type_id);
  if (id < 0)
    return std::nullopt;
  const struct btf_type *t = btf__type_by_id(btf, uint32_t(id));
  TypeInfo ti;
  if (btf_is_int(t)) {
    uint32_t enc = btf_int_encoding(t);
    ti.size = t->size;
    ti.c_name = btf__name_by_offset(btf, t->name_off);
    if (btf_int_offset(t) != 0 || btf_int_bits(t) != 8 * t->size)
      return std::nullopt;
    if (enc & BTF_INT_BOOL) {
      ti.kind = TypeInfo::Bool;
    } else {
      ti.is_signed = enc & BTF_INT_SIGNED;
      if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
        return std::nullopt;
    }
    return ti;
  }
  if (btf_is_enum(t) || btf_is_enum64(t)) {
    ti.kind = TypeInfo::Enum;
    ti.size = t->size;
    ti.is_signed = btf_kflag(t);
    const char *n = btf__name_by_offset(btf, t->name_off);
    ti.c_name = std::string("enum ") + (n && *n ? n : "(anonymous)");
    ti.t = t;
    if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
      return std::nullopt;
    return ti;
  }
  if (btf_is_array(t)) {
    const struct btf_array *a = btf_array(t);
    int elem = btf__resolve_type(btf, a->type);
    const struct btf_type *et = elem < 0 ? nullptr : btf__type_by_id(btf, uint32_t(elem));
    if (et && btf_is_int(et) && et->size == 1 && !(btf_int_encoding(et) & BTF_INT_BOOL)) {
      ti.kind = TypeInfo::String;
      ti.size = a->nelems;
      ti.c_name = std::string(btf__name_by_offset(btf, et->name_off)) + "[" +
                  std::to_string(a->nelems) + "]";
      return ti;
    }
  }
  return std::nullopt;
}

// Strict integer syntax: optional '-', then decimal without leading zeros or
// 0x hex. No '+', spaces, octal or suffixes.
bool parseInteger(const std::string &text, bool &negative, unsigned __int128 &magnitude) {
  size_t i = 0;
  negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  std::string digits = text.substr(i);
  unsigned base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits = digits.substr(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    return false; // "010": octal in C, ten in most tools; refuse the ambiguity
  }
  if (digits.empty() || digits.size() > 40)
    return false;
  magnitude = 0;
  for (char c : digits) {
    unsigned d;
    if (c >= '0' && c <= '9')
      d = unsigned(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = unsigned(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = unsigned(c - 'A' + 10);
    else
      return false;
    magnitude = magnitude * base + d;
    if (magnitude > (unsigned __int128)std::numeric_limits<uint64_t>::max() + 1)
      return false;
  }
  return true;
}

std::string rangeText(const TypeInfo &ti) {
  unsigned bits = 8 * ti.size;
  if (ti.is_signed) {
    int64_t lo = bits == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t(1) << (bits - 1));
    int64_t hi = bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t(1) << (bits - 1)) - 1;
    return std::to_string(lo) + ".." + std::to_string(hi);
  }
  uint64_t hi = bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t(1) << bits) - 1;
  return "0.." + std::to_string(hi);
}

// Range-checks and encodes (little endian) an integer of `ti`'s size and
// signedness; `canonical` gets its decimal form.
Status encodeInteger(const TypeInfo &ti, bool negative, unsigned __int128 magnitude,
                     const std::string &what, const std::string &who, std::vector<uint8_t> &bytes,
                     std::string &canonical) {
  unsigned bits = 8 * ti.size;
  auto outOfRange = [&] {
    return makeError(ERANGE,
                     what + ": out of range for " + who + " (" + ti.c_name + ", " + rangeText(ti) +
                         ")",
                     "pass a value in range, in decimal or 0x hex");
  };
  uint64_t raw;
  if (negative) {
    if (!ti.is_signed)
      return makeError(ERANGE,
                       what + ": negative value for " + who + " (" + ti.c_name + ", " +
                           rangeText(ti) + ")",
                       "pass a value in range, in decimal or 0x hex");
    unsigned __int128 limit = (unsigned __int128)1 << (bits - 1);
    if (magnitude > limit)
      return outOfRange();
    raw = uint64_t(0) - uint64_t(magnitude);
    canonical = magnitude == 0 ? "0" : "-" + std::to_string(uint64_t(magnitude));
  } else {
    unsigned __int128 limit = ti.is_signed ? ((unsigned __int128)1 << (bits - 1)) - 1
                                           : ((unsigned __int128)1 << bits) - 1;
    if (magnitude > limit)
      return outOfRange();
    raw = uint64_t(magnitude);
    canonical = std::to_string(raw);
  }
  bytes.resize(ti.size);
  for (uint32_t i = 0; i < ti.size; ++i)
    bytes[i] = uint8_t(raw >> (8 * i));
  return ok();
}

Status encodeValue(const struct btf *btf, const TypeInfo &ti, const std::string &value,
                   const std::string &what, const std::string &who, std::vector<uint8_t> &bytes,
                   std::string &canonical) {
  switch (ti.kind) {
  case TypeInfo::Bool:
    if (value == "true" || value == "1") {
      bytes.assign(ti.size, 0);
      bytes[0] = 1;
      canonical = "true";
    } else if (value == "false" || value == "0") {
      bytes.assign(ti.size, 0);
      canonical = "false";
    } else {
      return makeError(EINVAL,
                       what + ": " + who + " (" + ti.c_name + ") takes true, false, 1 or 0");
    }
    return ok();
  case TypeInfo::String:
    if (value.size() + 1 > ti.size)
      return makeError(ERANGE,
                       what + ": string of " + std::to_string(value.size()) +
                           " bytes does not fit " + who + " (" + ti.c_name + ": at most " +
                           std::to_string(ti.size ? ti.size - 1 : 0) + " bytes and the NUL)",
                       "shorten the value or enlarge the array");
    if (value.find('\0') != std::string::npos)
      return makeError(EINVAL, what + ": value contains a NUL byte");
    bytes.assign(ti.size, 0);
    std::memcpy(bytes.data(), value.data(), value.size());
    canonical = value;
    return ok();
  case TypeInfo::Enum: {
    // By enumerator name first, then as a number.
    std::vector<std::pair<std::string, int64_t>> enumerators;
    if (btf_is_enum(ti.t)) {
      const struct btf_enum *e = btf_enum(ti.t);
      for (int i = 0; i < btf_vlen(ti.t); ++i, ++e)
        enumerators.emplace_back(btf__name_by_offset(btf, e->name_off),
                                 ti.is_signed ? int64_t(e->val) : int64_t(uint32_t(e->val)));
    } else {
      const struct btf_enum64 *e = btf_enum64(ti.t);
      for (int i = 0; i < btf_vlen(ti.t); ++i, ++e)
        enumerators.emplace_back(btf__name_by_offset(btf, e->name_off),
                                 int64_t(btf_enum64_value(e)));
    }
    bool negative = false;
    unsigned __int128 magnitude = 0;
    auto named = std::find_if(enumerators.begin(), enumerators.end(),
                              [&](const auto &p) { return p.first == value; });
    if (named != enumerators.end()) {
      negative = ti.is_signed && named->second < 0;
      magnitude = negative ? (unsigned __int128)(-(named->second + 1)) + 1
                           : (unsigned __int128)(uint64_t)named->second;
    } else if (!parseInteger(value, negative, magnitude)) {
      std::string known;
      for (size_t i = 0; i < enumerators.size() && i < 8; ++i)
        known += (i ? ", " : "") + enumerators[i].first;
      return makeError(EINVAL,
                       what + ": '" + value + "' is neither an enumerator of " + who + " (" +
                           ti.c_name + ") nor a number",
                       "use one of: " + known);
    }
    if (Status s = encodeInteger(ti, negative, magnitude, what, who, bytes, canonical); !s)
      return s;
    for (const auto &[name, val] : enumerators)
      if (std::to_string(val) == canonical) {
        canonical = name;
        break;
      }
    return ok();
  }
  case TypeInfo::Int: {
    bool negative = false;
    unsigned __int128 magnitude = 0;
    if (!parseInteger(value, negative, magnitude)) {
      bool leading_zero = value.size() > 1 && value[value[0] == '-' ? 1 : 0] == '0' &&
                          value.find_first_of("xX") == std::string::npos;
      return makeError(EINVAL,
                       what + ": " + who + " (" + ti.c_name + ") takes an integer" +
                           (leading_zero ? ", and a leading 0 is ambiguous (octal in C)"
                                         : ": decimal or 0x hex"),
                       "write e.g. 42, -1 or 0x2a");
    }
    return encodeInteger(ti, negative, magnitude, what, who, bytes, canonical);
  }
  }
  return makeError(EINVAL, what + ": unsupported type");
}

} // namespace

Result<std::vector<format::BakedValue>> bakeValues(std::vector<uint8_t> &elf_bytes,
                                                   const std::vector<std::string> &sets,
                                                   std::vector<KconfigValue> &kconfig) {
  std::vector<format::BakedValue> baked;
  if (sets.empty())
    return baked;

  // Parse every NAME=VALUE first: syntax errors need no ELF.
  std::vector<std::pair<std::string, std::string>> wanted;
  std::set<std::string> seen;
  for (const std::string &s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      return makeError(EINVAL, "--set '" + s + "': expected NAME=VALUE", kHintDeclare);
    std::string name = s.substr(0, eq);
    if (!seen.insert(name).second)
      return makeError(EINVAL, "--set " + name + " given more than once", "set each variable once");
    wanted.emplace_back(name, s.substr(eq + 1));
  }

  auto sections = elf::sections(elf_bytes);
  if (!sections)
    return sections.takeError();

  // libbpf fixes up DATASEC offsets and sizes while opening; its BTF is the
  // authoritative map from variable names to section offsets.
  LibbpfLogCapture log;
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = "bpfseal_bake");
  std::unique_ptr<struct bpf_object, decltype(&bpf_object__close)> obj(
      bpf_object__open_mem(elf_bytes.data(), elf_bytes.size(), &open_opts), bpf_object__close);
  if (!obj) {
    int err = errno ? errno : EINVAL;
    return makeError(err, "libbpf cannot open the object: " + log.lastWarning(),
                     "check it with llvm-objdump; rebuild it with clang -target bpf -g");
  }
  const struct btf *btf = bpf_object__btf(obj.get());
  if (!btf)
    return makeError(ENOENT, "--set needs BTF, and the object has none",
                     "compile with clang -g so the object carries .BTF");

  std::vector<Var> vars;
  std::map<std::string, std::string> unsettable; // name -> section (.bss, .kconfig)
  for (uint32_t id = 1; id < btf__type_cnt(btf); ++id) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!btf_is_datasec(t))
      continue;
    std::string sec = btf__name_by_offset(btf, t->name_off);
    const struct btf_var_secinfo *vi = btf_var_secinfos(t);
    for (int i = 0; i < btf_vlen(t); ++i, ++vi) {
      const struct btf_type *vt = btf__type_by_id(btf, vi->type);
      if (!vt || !btf_is_var(vt))
        continue;
      std::string name = btf__name_by_offset(btf, vt->name_off);
      if (settableSection(sec) || sec == ".kconfig")
        vars.push_back({name, sec, vt->type, vi->offset, vi->size});
      else
        unsettable.emplace(name, sec);
    }
  }

  for (const auto &[name, value] : wanted) {
    std::string what = "--set " + name + "=" + value;
    std::vector<const Var *> matches;
    for (const Var &v : vars)
      if (v.name == name)
        matches.push_back(&v);
    if (matches.empty()) {
      if (auto it = unsettable.find(name); it != unsettable.end())
        return makeError(EINVAL,
                         what + ": '" + name + "' is in " + it->second +
                             ", which has no initial bytes in the object",
                         it->second == ".bss"
                             ? "give it a non-zero initializer or make it const volatile, so "
                               "it lives in .data/.rodata"
                             : kHintDeclare);
      std::string known;
      std::vector<std::string> names;
      for (const Var &v : vars)
        names.push_back(v.name);
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      for (size_t i = 0; i < names.size() && i < 8; ++i)
        known += (i ? ", " : "") + names[i];
      if (names.size() > 8)
        known += ", ...";
      return makeError(ENOENT,
                       what + ": no variable '" + name + "' in .rodata/.data/.kconfig" +
                           (names.empty() ? std::string(" (the object has none)")
                                          : " (known: " + known + ")"),
                       kHintDeclare);
    }
    if (matches.size() > 1)
      return makeError(EINVAL,
                       what + ": '" + name + "' is ambiguous: defined in " + matches[0]->section +
                           " and " + matches[1]->section + " (static variables of two units?)",
                       "rename one of them");
    const Var &v = *matches[0];
    auto ti = describeType(btf, v.type_id);
    if (!ti)
      return makeError(EINVAL,
                       what + ": '" + name +
                           "' has a type --set cannot write (supported: "
                           "integers of 1/2/4/8 bytes, bool, enums, char arrays)",
                       "split it into scalar const volatile globals");
    std::vector<uint8_t> bytes;
    std::string canonical;
    if (Status s = encodeValue(btf, *ti, value, what, "'" + name + "'", bytes, canonical); !s)
      return s.takeError();
    if (v.section == ".kconfig") {
      if (bytes.size() != v.size)
        return makeError(EINVAL, what + ": '" + name +
                                     "' is not where its BTF says (.kconfig size " +
                                     std::to_string(v.size) + ")");
      KconfigValue k;
      k.baked = {name, v.section, ti->c_name, canonical, v.offset, v.size};
      k.bytes = std::move(bytes);
      if (name.rfind("CONFIG_", 0) == 0) // any value libbpf accepts for the type; replaced after
        k.libbpf_placeholder = name + (ti->kind == TypeInfo::String ? "=\"\""
                                       : ti->kind == TypeInfo::Int  ? "=0"
                                                                    : "=n");
      kconfig.push_back(std::move(k));
      continue;
    }
    auto sec = elf::findSection(*sections, v.section);
    if (!sec || sec->type != SHT_PROGBITS || v.offset + uint64_t(bytes.size()) > sec->size ||
        bytes.size() != v.size)
      return makeError(EINVAL,
                       what + ": '" + name + "' is not where its BTF says (section " + v.section +
                           ", offset " + std::to_string(v.offset) + ")",
                       "rebuild the object; its BTF and sections disagree");
    std::memcpy(elf_bytes.data() + sec->offset + v.offset, bytes.data(), bytes.size());
    baked.push_back({name, v.section, ti->c_name, canonical, v.offset, v.size});
  }
  return baked;
}

} // namespace bpfseal::sealer

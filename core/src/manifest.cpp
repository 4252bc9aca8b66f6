// The manifest: canonical JSON in, strict JSON out (docs/FORMAT.md "Manifest").
#include "format_internal.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <set>

namespace bpfseal::format {
namespace {

using ojson = nlohmann::ordered_json;
using detail::malformed;

// The manifest nests 5 levels deep (units add a few); nlohmann's parser is
// iterative but copying, dumping and destroying a value recurse, so a hostile
// "[[[[..." must be refused before it is built.
constexpr int kMaxJsonDepth = 64;

ojson layoutToJson(const MapLayout &l) {
  ojson j;
  j["excl_off"] = l.excl_off;
  j["excl_prog_sha_off"] = l.excl_prog_sha_off;
  j["map_type_off"] = l.map_type_off;
  j["key_size_off"] = l.key_size_off;
  j["value_size_off"] = l.value_size_off;
  j["max_entries_off"] = l.max_entries_off;
  j["frozen_off"] = l.frozen_off;
  return j;
}

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const ojson &member(const ojson &obj, const char *key) {
  if (!obj.is_object())
    throw JsonError(std::string("expected an object holding '") + key + "'");
  auto it = obj.find(key);
  if (it == obj.end())
    throw JsonError(std::string("missing field '") + key + "'");
  return *it;
}

// Typed reads that refuse what nlohmann's get<> would convert silently
// (1.5 or -1 as uint32_t, 1e300 as an integer is undefined behaviour).
template <typename T> T field(const ojson &obj, const char *key) {
  const ojson &v = member(obj, key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string())
      throw JsonError(std::string("field '") + key + "' is not a string");
    return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean())
      throw JsonError(std::string("field '") + key + "' is not a boolean");
    return v.get<bool>();
  } else {
    static_assert(std::is_integral_v<T>);
    bool fits = false;
    if (v.is_number_unsigned())
      fits = v.get<uint64_t>() <= uint64_t(std::numeric_limits<T>::max());
    else if (v.is_number_integer())
      fits = std::is_signed_v<T> && v.get<int64_t>() >= int64_t(std::numeric_limits<T>::min());
    if (!fits)
      throw JsonError(std::string("field '") + key + "' is not a " +
                      (std::is_signed_v<T> ? "signed" : "unsigned") + " " +
                      std::to_string(sizeof(T) * 8) + "-bit integer");
    return v.get<T>();
  }
}

const ojson &arrayField(const ojson &obj, const char *key) {
  const ojson &v = member(obj, key);
  if (!v.is_array())
    throw JsonError(std::string("field '") + key + "' is not an array");
  return v;
}

// Builds the document for parseStrictJson(): nlohmann's own DOM builder, plus
// the two refusals untrusted JSON needs. A SAX handler rather than a parse
// callback: no std::function per token, no copied key sets.
class StrictDomBuilder {
public:
  using number_integer_t = ojson::number_integer_t;
  using number_unsigned_t = ojson::number_unsigned_t;
  using number_float_t = ojson::number_float_t;
  using string_t = ojson::string_t;
  using binary_t = ojson::binary_t;

  ojson root;

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(number_integer_t v) { return put(v); }
  bool number_unsigned(number_unsigned_t v) { return put(v); }
  bool number_float(number_float_t v, const string_t &) { return put(v); }
  bool string(string_t &v) { return put(std::move(v)); }
  bool binary(binary_t &) { return false; } // not in JSON text
  bool start_object(std::size_t) { return open(ojson::value_t::object); }
  bool start_array(std::size_t) { return open(ojson::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(string_t &k) {
    // Objects are small (a manifest's largest has 13 keys), so a linear
    // search; a hostile object with many keys gets an ordered set: a hash
    // set with libstdc++'s fixed-seed hash can be flooded with colliding
    // keys (quadratic again), comparisons cannot.
    Level &level = stack_.back();
    const auto &object = level.value->get_ref<const ojson::object_t &>();
    bool duplicate = false;
    if (object.size() < kLinearKeys) {
      duplicate = std::any_of(object.begin(), object.end(),
                              [&](const auto &member) { return member.first == k; });
    } else {
      if (level.keys.empty())
        for (const auto &member : object)
          level.keys.insert(member.first);
      duplicate = !level.keys.insert(k).second;
    }
    if (duplicate)
      throw JsonError("duplicate key '" + escapeText(k.substr(0, 64)) + "'");
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &) {
    return false;
  }

private:
  static constexpr size_t kLinearKeys = 16;
  struct Level {
    ojson *value;
    std::set<std::string, std::less<>> keys; // only once the object is large
  };

  // Places a value where the document expects the next one; returns it.
  template <typename V> ojson *place(V &&v) {
    if (stack_.empty()) {
      root = ojson(std::forward<V>(v));
      return &root;
    }
    ojson &parent = *stack_.back().value;
    if (parent.is_array()) {
      parent.get_ref<ojson::array_t &>().emplace_back(std::forward<V>(v));
      return &parent.get_ref<ojson::array_t &>().back();
    }
    // key() refused duplicates, so append without ordered_map's search.
    auto &members = static_cast<ojson::object_t::Container &>(parent.get_ref<ojson::object_t &>());
    members.emplace_back(std::move(key_), std::forward<V>(v));
    return &members.back().second;
  }
  template <typename V> bool put(V &&v) {
    place(std::forward<V>(v));
    return true;
  }
  bool open(ojson::value_t type) {
    if (stack_.size() >= size_t(kMaxJsonDepth))
      throw JsonError("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    stack_.push_back({place(ojson(type)), {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  std::vector<Level> stack_;
  string_t key_;
};

// Parses untrusted JSON: bounded nesting, and no duplicate keys (which other
// JSON readers resolve differently, so a signed manifest must not have any).
ojson parseStrictJson(std::string_view text) {
  StrictDomBuilder builder;
  if (!ojson::sax_parse(text, &builder, nlohmann::detail::input_format_t::json, /*strict=*/true))
    throw JsonError("not valid JSON (or not UTF-8)");
  return std::move(builder.root);
}

Sha256 digestField(const ojson &obj, const char *key) {
  std::string text = field<std::string>(obj, key);
  Sha256 out{};
  if (text.size() != 64)
    throw JsonError(std::string("field '") + key + "' is not 64 lowercase hex digits");
  for (size_t i = 0; i < 32; ++i) {
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9')
        return c - '0';
      if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
      throw JsonError(std::string("field '") + key + "' is not 64 lowercase hex digits");
    };
    out[i] = uint8_t(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
  }
  return out;
}

} // namespace

std::string_view loaderKindName(LoaderKind kind) {
  switch (kind) {
  case LoaderKind::KernelCheck: return "kernel-check";
  case LoaderKind::LoaderCheck: return "loader-check";
  }
  return "unknown";
}

std::string serializeManifest(const Manifest &m) {
  ojson j;
  j["format_version"] = m.format_version;
  j["object_name"] = m.object_name;
  j["object_version"] = m.object_version;
  j["license"] = m.license;
  j["tool_version"] = m.tool_version;
  ojson progs = ojson::array();
  for (const ProgramInfo &p : m.programs)
    progs.push_back({{"name", p.name},
                     {"section", p.section},
                     {"type", p.type},
                     {"attach_type", p.attach_type},
                     {"source", p.source},
                     {"attach_target", p.attach_target}});
  j["programs"] = progs;
  ojson maps = ojson::array();
  for (const MapInfo &mi : m.maps)
    maps.push_back({{"name", mi.name},
                    {"type", mi.type},
                    {"key_size", mi.key_size},
                    {"value_size", mi.value_size},
                    {"max_entries", mi.max_entries},
                    {"flags", mi.flags},
                    {"internal", mi.internal}});
  j["maps"] = maps;
  ojson baked = ojson::array();
  for (const BakedValue &b : m.baked)
    baked.push_back({{"name", b.name},
                     {"section", b.section},
                     {"type", b.type},
                     {"value", b.value},
                     {"offset", b.offset},
                     {"size", b.size}});
  j["baked"] = baked;
  j["disabled_programs"] = m.disabled_programs;
  // Only when present, so objects without groups keep their exact bytes.
  if (!m.alternatives.empty()) {
    ojson alts = ojson::array();
    for (const AlternativeGroup &g : m.alternatives)
      alts.push_back({{"name", g.name}, {"programs", g.programs}});
    j["alternatives"] = alts;
  }
  ojson loaders = ojson::array();
  for (const LoaderInfo &l : m.loaders)
    loaders.push_back({{"name", l.name},
                       {"kind", std::string(loaderKindName(l.kind))},
                       {"layout", layoutToJson(l.layout)},
                       {"kernels", l.kernels}});
  j["loaders"] = loaders;
  ojson units =
      ojson::parse(m.units_json.empty() ? "[]" : m.units_json, nullptr, /*allow_exceptions=*/false);
  j["units"] = units.is_discarded() ? ojson::array() : units;
  j["file_digest"] = hex(m.file_digest);
  ojson sections = ojson::array();
  for (const SectionDigest &s : m.sections)
    sections.push_back({{"name", s.name}, {"size", s.size}, {"sha256", hex(s.sha256)}});
  j["sections"] = sections;
  // Names come from the BPF object and may be any bytes; writeSealed
  // refuses a manifest that is not UTF-8, this only must not throw first.
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

namespace {

// "alternatives": at least two groups, names unique and [a-z0-9_-]{1,31},
// each naming at least one program of `programs` and no program of another
// group. The runtime relies on all of it to choose a group.
Status parseAlternatives(const ojson &j, Manifest &m) {
  std::set<std::string> names, grouped;
  for (const ojson &gj : arrayField(j, "alternatives")) {
    AlternativeGroup g;
    g.name = field<std::string>(gj, "name");
    if (!detail::validLoaderName(g.name) || !names.insert(g.name).second)
      return malformed("manifest alternative group name '" + escapeText(g.name.substr(0, 64)) +
                       "' is repeated, or not 1..31 of [a-z0-9_-]");
    for (const ojson &pj : arrayField(gj, "programs")) {
      if (!pj.is_string())
        return malformed("manifest alternative group '" + g.name + "' holds a non-string");
      std::string p = pj.get<std::string>();
      bool listed = std::any_of(m.programs.begin(), m.programs.end(),
                                [&](const ProgramInfo &pi) { return pi.name == p; });
      if (!listed || !grouped.insert(p).second)
        return malformed("manifest alternative group '" + g.name + "' names program '" +
                         escapeText(p.substr(0, 64)) +
                         "', which the manifest does not list or another group has");
      g.programs.push_back(std::move(p));
    }
    if (g.programs.empty())
      return malformed("manifest alternative group '" + g.name + "' has no program");
    m.alternatives.push_back(std::move(g));
  }
  if (m.alternatives.size() < 2)
    return malformed("manifest 'alternatives' has fewer than two groups");
  return ok();
}

} // namespace

Result<Manifest> parseManifest(std::string_view text) {
  try {
    ojson j = parseStrictJson(text);
    if (!j.is_object())
      return malformed("manifest is not a JSON object");
    Manifest m;
    m.format_version = field<uint32_t>(j, "format_version");
    if (m.format_version != kFormatVersion)
      return makeError(ENOTSUP,
                       "sealed object format version " + std::to_string(m.format_version) +
                           " is not supported (this bpfseal reads version " +
                           std::to_string(kFormatVersion) + ")",
                       "use a bpfseal release that matches the sealer");
    m.object_name = field<std::string>(j, "object_name");
    m.object_version = field<uint64_t>(j, "object_version");
    m.license = field<std::string>(j, "license");
    m.tool_version = field<std::string>(j, "tool_version");
    for (const ojson &p : arrayField(j, "programs"))
      m.programs.push_back({field<std::string>(p, "name"), field<std::string>(p, "section"),
                            field<std::string>(p, "type"), field<std::string>(p, "attach_type"),
                            field<std::string>(p, "source"),
                            field<std::string>(p, "attach_target")});
    for (const ojson &mj : arrayField(j, "maps")) {
      MapInfo mi;
      mi.name = field<std::string>(mj, "name");
      mi.type = field<std::string>(mj, "type");
      mi.key_size = field<uint32_t>(mj, "key_size");
      mi.value_size = field<uint32_t>(mj, "value_size");
      mi.max_entries = field<uint32_t>(mj, "max_entries");
      mi.flags = field<uint32_t>(mj, "flags");
      mi.internal = field<bool>(mj, "internal");
      m.maps.push_back(std::move(mi));
    }
    for (const ojson &b : arrayField(j, "baked"))
      m.baked.push_back({field<std::string>(b, "name"), field<std::string>(b, "section"),
                         field<std::string>(b, "type"), field<std::string>(b, "value"),
                         field<uint32_t>(b, "offset"), field<uint32_t>(b, "size")});
    for (const ojson &d : arrayField(j, "disabled_programs")) {
      if (!d.is_string())
        return malformed("manifest 'disabled_programs' holds a non-string");
      m.disabled_programs.push_back(d.get<std::string>());
    }
    if (j.contains("alternatives"))
      if (Status st = parseAlternatives(j, m); !st)
        return st.takeError();
    for (const ojson &lj : arrayField(j, "loaders")) {
      LoaderInfo l;
      l.name = field<std::string>(lj, "name");
      // Loader names become file and section names (sign --detached DIR).
      if (!detail::validLoaderName(l.name))
        return malformed("loader name '" + escapeText(l.name.substr(0, 64)) +
                         "' has characters outside [a-z0-9_-] or is not 1..31 long");
      std::string kind = field<std::string>(lj, "kind");
      if (kind == loaderKindName(LoaderKind::KernelCheck))
        l.kind = LoaderKind::KernelCheck;
      else if (kind == loaderKindName(LoaderKind::LoaderCheck))
        l.kind = LoaderKind::LoaderCheck;
      else
        return malformed("unknown loader kind '" + escapeText(kind.substr(0, 64)) + "'");
      const ojson &lay = member(lj, "layout");
      l.layout.excl_off = field<int32_t>(lay, "excl_off");
      l.layout.excl_prog_sha_off = field<uint32_t>(lay, "excl_prog_sha_off");
      l.layout.map_type_off = field<uint32_t>(lay, "map_type_off");
      l.layout.key_size_off = field<uint32_t>(lay, "key_size_off");
      l.layout.value_size_off = field<uint32_t>(lay, "value_size_off");
      l.layout.max_entries_off = field<uint32_t>(lay, "max_entries_off");
      l.layout.frozen_off = field<uint32_t>(lay, "frozen_off");
      l.kernels = field<std::string>(lj, "kernels");
      m.loaders.push_back(std::move(l));
    }
    const ojson &units = member(j, "units");
    if (!units.is_array())
      return malformed("manifest 'units' is not an array");
    m.units_json = units.dump();
    m.file_digest = digestField(j, "file_digest");
    for (const ojson &sj : arrayField(j, "sections"))
      m.sections.push_back(
          {field<std::string>(sj, "name"), field<uint64_t>(sj, "size"), digestField(sj, "sha256")});
    return m;
  } catch (const std::exception &e) {
    return malformed(std::string("manifest: ") + e.what());
  }
}

} // namespace bpfseal::format

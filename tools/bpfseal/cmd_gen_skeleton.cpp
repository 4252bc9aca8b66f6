// bpfseal gen-skeleton: writes a C header and a C++ header that embed a sealed
// object's bytes and wrap libbpfseal in a typed skeleton, with one accessor
// per program and map named after the signed manifest, so user code never
// spells a program or map name as a string. Used by bpfseal_embed() (CMake).
#include "commands.h"

#include "bpfseal/format.h"
#include "bpfseal/signing.h"

#include <getopt.h>

#include <cctype>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "gen-skeleton";

void printHelp() {
  std::printf(
      "usage: bpfseal gen-skeleton SEALED.o --name NAME [--c-header F.h] [--cxx-header F.hpp]\n"
      "                            [--cert CERT]... [--ca-dir DIR]\n"
      "                            [--eku OID]... [--check-dates]  (as bpfseal verify)\n\n"
      "Writes headers embedding SEALED.o with a typed skeleton: C++ class NAME_bpf\n"
      "(open/load/attach, progs().<p>(), maps().<m>()) and C struct NAME_bpf with\n"
      "NAME_bpf__open/__load/__attach/__destroy and fds skel->progs.<p>, skel->maps.<m>.\n\n"
      "  --name NAME         C identifier naming the skeleton\n"
      "  --c-header FILE     C header to write\n"
      "  --cxx-header FILE   C++ header to write\n"
      "  --cert CERT         verify every loader's signature against CERT (repeatable)\n"
      "  --ca-dir DIR        ... or against the CA certificates in DIR (as 'bpfseal verify')\n\n"
      "Only a verified object is called signed (kSigned = true); without --cert/--ca-dir\n"
      "the headers say the signature was not verified. Every program and map name must\n"
      "be a C identifier; strings from the object appear only as escaped literals.\n");
}

bool isIdentifier(const std::string &s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

// Keywords of C23 and C++20: valid BPF C names that would still break (or
// change the meaning of) a generated header when used as an accessor.
bool isKeyword(const std::string &s) {
  static const std::set<std::string> kKeywords = {"alignas",
                                                  "alignof",
                                                  "and",
                                                  "and_eq",
                                                  "asm",
                                                  "auto",
                                                  "bitand",
                                                  "bitor",
                                                  "bool",
                                                  "break",
                                                  "case",
                                                  "catch",
                                                  "char",
                                                  "char8_t",
                                                  "char16_t",
                                                  "char32_t",
                                                  "class",
                                                  "compl",
                                                  "concept",
                                                  "const",
                                                  "consteval",
                                                  "constexpr",
                                                  "constinit",
                                                  "const_cast",
                                                  "continue",
                                                  "co_await",
                                                  "co_return",
                                                  "co_yield",
                                                  "decltype",
                                                  "default",
                                                  "delete",
                                                  "do",
                                                  "double",
                                                  "dynamic_cast",
                                                  "else",
                                                  "enum",
                                                  "explicit",
                                                  "export",
                                                  "extern",
                                                  "false",
                                                  "float",
                                                  "for",
                                                  "friend",
                                                  "goto",
                                                  "if",
                                                  "inline",
                                                  "int",
                                                  "long",
                                                  "mutable",
                                                  "namespace",
                                                  "new",
                                                  "noexcept",
                                                  "not",
                                                  "not_eq",
                                                  "nullptr",
                                                  "operator",
                                                  "or",
                                                  "or_eq",
                                                  "private",
                                                  "protected",
                                                  "public",
                                                  "register",
                                                  "reinterpret_cast",
                                                  "requires",
                                                  "restrict",
                                                  "return",
                                                  "short",
                                                  "signed",
                                                  "sizeof",
                                                  "static",
                                                  "static_assert",
                                                  "static_cast",
                                                  "struct",
                                                  "switch",
                                                  "template",
                                                  "this",
                                                  "thread_local",
                                                  "throw",
                                                  "true",
                                                  "try",
                                                  "typedef",
                                                  "typeid",
                                                  "typename",
                                                  "typeof",
                                                  "typeof_unqual",
                                                  "union",
                                                  "unsigned",
                                                  "using",
                                                  "virtual",
                                                  "void",
                                                  "volatile",
                                                  "wchar_t",
                                                  "while",
                                                  "xor",
                                                  "xor_eq",
                                                  "_Alignas",
                                                  "_Alignof",
                                                  "_Atomic",
                                                  "_BitInt",
                                                  "_Bool",
                                                  "_Complex",
                                                  "_Decimal128",
                                                  "_Decimal32",
                                                  "_Decimal64",
                                                  "_Generic",
                                                  "_Imaginary",
                                                  "_Noreturn",
                                                  "_Static_assert",
                                                  "_Thread_local"};
  return kKeywords.count(s) != 0;
}

// Accessor name for a program or map. Program and map names are C names in
// any object clang made; the manifest is still artifact text, so anything
// else is refused, never rewritten into something that compiles. Internal
// maps ("app.rodata", "app.rodata.str1.1"; libbpf's prefix may be a truncated
// object name) become "rodata", "rodata_str1_1": only '.' is replaced.
Result<std::string> accessorName(const std::string &name, bool internal, const std::string &field) {
  std::string base = name;
  if (internal) {
    auto dot = base.find('.');
    if (dot != std::string::npos)
      base = base.substr(dot + 1);
    for (char &c : base)
      if (c == '.')
        c = '_';
  }
  if (!isIdentifier(base))
    return makeError(EINVAL, field + " '" + name + "' is not a C identifier",
                     "the object is damaged or was edited; rebuild it from its sources");
  if (isKeyword(base))
    return makeError(EINVAL, field + " '" + name + "' is a C or C++ keyword",
                     "rename it in the BPF source");
  return base;
}

struct Entry {
  std::string name;     // as in the manifest (what the runtime looks up)
  std::string accessor; // C identifier
  size_t index;         // position in the manifest (loader ctx order)
};

// A C/C++ string literal holding `s` with every byte outside a small safe set
// written as a three-digit octal escape (never \x, whose digits run on; no
// '?' so no trigraph, no '*' or '/' so the literal can sit in a comment).
std::string cString(const std::string &s) {
  std::string out = "\"";
  char buf[8];
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '_' || c == ' ' || c == '.' || c == ',' || c == ':' || c == '-' ||
        c == '+' || c == '=' || c == '(' || c == ')') {
      out += ch;
    } else {
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out + "\"";
}

// Artifact text inside a generated comment: the escaped literal form, so no
// newline, "*/", backslash-newline or trigraph can end the comment.
std::string commentText(const std::string &s) { return cString(s); }

std::string byteArray(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 6 + bytes.size() / 12 * 4);
  char buf[8];
  for (size_t i = 0; i < bytes.size(); i++) {
    if (i % 16 == 0)
      out += "\n   ";
    std::snprintf(buf, sizeof(buf), " 0x%02x,", bytes[i]);
    out += buf;
  }
  return out + "\n";
}

} // namespace

struct SkeletonModel {
  std::string name;
  std::string object_name;
  std::vector<Entry> programs;
  std::vector<Entry> maps;
  std::span<const uint8_t> bytes;
  // True only when every loader's signature verified against the
  // certificates given at generation (--cert/--ca-dir).
  bool verified = false;
  // One line for the header's first comment, built only from the
  // verification's outcome and escaped signer text.
  std::string signature_note;
  const format::Manifest *manifest = nullptr;
};

std::string renderCHeader(const SkeletonModel &m);
std::string renderCxxHeader(const SkeletonModel &m);

int runGenSkeleton(int argc, char **argv) {
  static const option kOptions[] = {{"name", required_argument, nullptr, 'n'},
                                    {"c-header", required_argument, nullptr, 'c'},
                                    {"cxx-header", required_argument, nullptr, 'x'},
                                    {"cert", required_argument, nullptr, 'C'},
                                    {"ca-dir", required_argument, nullptr, 'D'},
                                    {"eku", required_argument, nullptr, 'E'},
                                    {"check-dates", no_argument, nullptr, 'T'},
                                    {"json", no_argument, nullptr, 'J'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  std::string name, c_header, cxx_header, ca_dir;
  std::vector<std::string> certs;
  signing::TrustPolicy policy;
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'n': name = optarg; break;
    case 'c': c_header = optarg; break;
    case 'x': cxx_header = optarg; break;
    case 'C': certs.push_back(optarg); break;
    case 'D': ca_dir = optarg; break;
    case 'E': policy.ekus.push_back(optarg); break;
    case 'T': policy.check_pinned_dates = true; break;
    case 'J': json = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (optind + 1 != argc)
    return usageError(kCmd, "expected exactly one sealed object");
  if (!isIdentifier(name))
    return usageError(kCmd, "--name needs a C identifier, got '" + name + "'");
  if (c_header.empty() && cxx_header.empty())
    return usageError(kCmd, "nothing to write: give --c-header and/or --cxx-header");
  std::string input = argv[optind];

  auto read = readSealedFile(input);
  if (!read)
    return reportError(kCmd, read.error());
  const std::vector<uint8_t> *file = &read->bytes;
  const format::SealedObject *sealed = &read->sealed;

  SkeletonModel model;
  model.name = name;
  model.object_name = sealed->manifest.object_name;
  model.bytes = *file;
  model.manifest = &sealed->manifest;
  bool has_signatures = false;
  for (const auto &loader : sealed->loaders)
    has_signatures |= !loader.signature.empty();
  if (!certs.empty() || !ca_dir.empty()) {
    // Verify before anything is written: a header that says "signed" must
    // embed exactly what the given certificates signed.
    auto trust = signing::loadTrustStore(certs, ca_dir, policy);
    if (!trust)
      return reportError(kCmd, trust.error());
    std::vector<signing::LoaderVerdict> verdicts;
    if (Status st = signing::verifySealed(*sealed, *trust, verdicts); !st) {
      Error e = st.takeError();
      e.msg = input + ": " + e.msg;
      return reportError(kCmd, e);
    }
    const signing::SignerInfo &s = verdicts.front().signer;
    model.verified = true;
    model.signature_note = "signed; every loader verified at generation against " +
                           cString(s.subject) + " key id " + s.key_id_hex;
  } else {
    model.signature_note =
        has_signatures ? "signature NOT verified: generated without --cert/--ca-dir" : "UNSIGNED";
  }
  std::set<std::string> used;
  auto add = [&](std::vector<Entry> &list, const std::string &entry_name, bool internal,
                 size_t index, const char *what) -> bool {
    auto accessor = accessorName(entry_name, internal,
                                 input + ": " + what + "s[" + std::to_string(index) + "].name");
    if (!accessor) {
      reportError(kCmd, accessor.error());
      return false;
    }
    if (!used.insert(std::string(what) + *accessor).second) {
      reportError(kCmd,
                  makeError(EINVAL,
                            input + ": two " + what + "s map to the accessor '" + *accessor + "'",
                            "rename one of them in the BPF source"));
      return false;
    }
    list.push_back({entry_name, *accessor, index});
    return true;
  };
  for (size_t i = 0; i < sealed->manifest.programs.size(); i++)
    if (!add(model.programs, sealed->manifest.programs[i].name, false, i, "program"))
      return 1;
  for (size_t i = 0; i < sealed->manifest.maps.size(); i++)
    if (!add(model.maps, sealed->manifest.maps[i].name, sealed->manifest.maps[i].internal, i,
             "map"))
      return 1;

  auto write = [&](const std::string &path, const std::string &text) -> bool {
    auto st =
        format::writeFileAtomic(path, std::span(reinterpret_cast<const uint8_t *>(text.data()),
                                                text.size()));
    if (!st) {
      reportError(kCmd, st.error());
      return false;
    }
    return true;
  };
  if (!c_header.empty() && !write(c_header, renderCHeader(model)))
    return 1;
  if (!cxx_header.empty() && !write(cxx_header, renderCxxHeader(model))) {
    // All or nothing: a C header without its C++ twin would look up to date.
    if (!c_header.empty())
      std::remove(c_header.c_str());
    return 1;
  }
  if (json) {
    nlohmann::ordered_json j = {{"ok", true},
                                {"object", model.object_name},
                                {"size", model.bytes.size()},
                                {"verified", model.verified},
                                {"programs", nlohmann::ordered_json::array()},
                                {"maps", nlohmann::ordered_json::array()}};
    if (!c_header.empty())
      j["c_header"] = c_header;
    if (!cxx_header.empty())
      j["cxx_header"] = cxx_header;
    for (const auto &p : model.programs)
      j["programs"].push_back({{"name", p.name}, {"accessor", p.accessor}});
    for (const auto &mp : model.maps)
      j["maps"].push_back({{"name", mp.name}, {"accessor", mp.accessor}});
    std::printf("%s\n", jsonText(j).c_str());
  }
  return 0;
}

} // namespace bpfseal::cli

namespace bpfseal::cli {

namespace {

// Comment text for a program: its section and source, escaped.
std::string describe(const format::ProgramInfo &p) {
  std::string s = "section " + commentText(p.section);
  if (!p.source.empty())
    s += " source " + commentText(p.source);
  return s;
}

std::string describe(const format::MapInfo &info) {
  return "type " + commentText(info.type) + ", key " + std::to_string(info.key_size) +
         " B, value " + std::to_string(info.value_size) + " B, " +
         std::to_string(info.max_entries) + " entries";
}

} // namespace

std::string renderCxxHeader(const SkeletonModel &m) {
  const std::string cls = m.name + "_bpf";
  std::string o;
  o += "// Generated by `bpfseal gen-skeleton` from the sealed object " +
       commentText(m.object_name) + " (" + std::to_string(m.bytes.size()) + " bytes, " +
       m.signature_note + "). Do not edit.\n";
  o +=
      "#pragma once\n\n#include <bpfseal/bpfseal.hpp>\n\n#include <cstdint>\n#include <memory>\n#include <span>\n"
      "#include <string_view>\n#include <utility>\n#include <vector>\n\n";
  o += "namespace bpfseal_embedded {\ninline constexpr unsigned char " + m.name +
       "_sealed_object[] = {" + byteArray(m.bytes) + "};\n} // namespace bpfseal_embedded\n\n";
  o += "// Typed skeleton: " + cls +
       "::open() -> load(opts) -> attach(). Accessors are named\n"
       "// after the signed manifest, so a renamed program or map fails to compile.\n";
  o += "class " + cls + " {\npublic:\n";
  o += "  // A program of the object; fd() is -1 until load().\n"
       "  class ProgramRef {\n  public:\n"
       "    const char *name() const { return name_; }\n"
       "    int fd() const { return obj_->programFd(name_); }\n"
       "    const bpfseal::Program *get() const { return obj_->findProgram(name_); }\n"
       "    // Attaches this program alone; `target` as in bpfseal::AttachOptions::targets\n"
       "    // (an interface for xdp/tc, a cgroup directory, BINARY:FUNCTION for uprobes).\n"
       "    bpfseal::Result<bpfseal::AttachResult> attach(std::string_view target = {}) const {\n"
       "      return obj_->attach(name_, target);\n    }\n\n"
       "  private:\n    friend class " +
       cls +
       ";\n"
       "    ProgramRef(bpfseal::Object *obj, const char *name) : obj_(obj), name_(name) {}\n"
       "    bpfseal::Object *obj_;\n    const char *name_;\n  };\n\n";
  o += "  // A map of the object; fd() is -1 until load().\n"
       "  class MapRef {\n  public:\n"
       "    const char *name() const { return name_; }\n"
       "    int fd() const { return obj_->mapFd(name_); }\n"
       "    const bpfseal::Map *get() const { return obj_->findMap(name_); }\n\n"
       "  private:\n    friend class " +
       cls +
       ";\n"
       "    MapRef(bpfseal::Object *obj, const char *name) : obj_(obj), name_(name) {}\n"
       "    bpfseal::Object *obj_;\n    const char *name_;\n  };\n\n";

  o += "  class Programs {\n  public:\n";
  for (const auto &p : m.programs)
    o += "    // " + describe(m.manifest->programs[p.index]) + "\n    ProgramRef " + p.accessor +
         "() const { return {obj_, " + cString(p.name) + "}; }\n";
  o += "\n  private:\n    friend class " + cls +
       ";\n    explicit Programs(bpfseal::Object *obj) : obj_(obj) {}\n"
       "    bpfseal::Object *obj_;\n  };\n\n";
  o += "  class Maps {\n  public:\n";
  for (const auto &mp : m.maps) {
    const auto &info = m.manifest->maps[mp.index];
    o += "    // " + describe(info) + "\n    MapRef " + mp.accessor + "() const { return {obj_, " +
         cString(mp.name) + "}; }\n";
  }
  o += "\n  private:\n    friend class " + cls +
       ";\n    explicit Maps(bpfseal::Object *obj) : obj_(obj) {}\n"
       "    bpfseal::Object *obj_;\n  };\n\n";

  o += "  static constexpr std::string_view kObjectName = " + cString(m.object_name) + ";\n";
  o += "  // True only when gen-skeleton verified every loader's signature against\n"
       "  // the certificates of the build (--cert/--ca-dir).\n"
       "  static constexpr bool kSigned = " +
       std::string(m.verified ? "true" : "false") + ";\n";
  o += "  static std::span<const std::uint8_t> bytes() {\n"
       "    return {bpfseal_embedded::" +
       m.name + "_sealed_object, sizeof(bpfseal_embedded::" + m.name + "_sealed_object)};\n  }\n\n";
  o += "  // Parses and cross-checks the embedded seal; no kernel access yet.\n"
       "  static bpfseal::Result<" +
       cls +
       "> open() {\n"
       "    auto obj = bpfseal::Object::openMemory(bytes(), " +
       cString(m.name + " (embedded)") +
       ");\n    if (!obj)\n      return obj.takeError();\n    return " + cls +
       "(obj.take());\n  }\n\n";
  o +=
      "  // Verifies (per opts.mode) and loads every program and map.\n"
      "  bpfseal::Result<bpfseal::LoadReport> load(const bpfseal::LoadOptions &opts = {}) {\n"
      "    return obj_->load(opts);\n  }\n"
      "  // Attaches every program by its section; see bpfseal::Object::attachAll.\n"
      "  bpfseal::Result<std::vector<bpfseal::AttachResult>>\n"
      "  attach(const bpfseal::AttachOptions &opts = {}) {\n    return obj_->attachAll(opts);\n  }\n"
      "  void detach() { obj_->detachAll(); }\n\n";
  o += "  Programs progs() { return Programs(obj_.get()); }\n"
       "  Maps maps() { return Maps(obj_.get()); }\n"
       "  bpfseal::Object &object() { return *obj_; }\n\n";
  // The Object lives on the heap so ProgramRef/MapRef stay valid when the
  // skeleton itself is moved (e.g. out of a Result).
  o += "private:\n  explicit " + cls +
       "(bpfseal::Object obj)\n"
       "      : obj_(std::make_unique<bpfseal::Object>(std::move(obj))) {}\n"
       "  std::unique_ptr<bpfseal::Object> obj_;\n};\n";
  return o;
}

} // namespace bpfseal::cli

namespace bpfseal::cli {

std::string renderCHeader(const SkeletonModel &m) {
  const std::string st = m.name + "_bpf"; // struct and function prefix
  std::string guard;
  for (char c : m.name)
    guard += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  guard += "_SKEL_H";
  std::string o;
  o += "/* Generated by `bpfseal gen-skeleton` from the sealed object " +
       commentText(m.object_name) + " (" + std::to_string(m.bytes.size()) + " bytes, " +
       m.signature_note +
       "). Do not edit.\n *\n"
       " *   struct " +
       st + " *skel = " + st +
       "__open();\n"
       " *   " +
       st +
       "__load(skel, &opts);     (then skel->progs.X / skel->maps.Y are fds)\n"
       " *   " +
       st +
       "__attach(skel, NULL);\n"
       " *   " +
       st +
       "__destroy(skel);\n"
       " * Functions return 0 or -errno (pointers: NULL with errno set); the cause\n"
       " * is in bpfseal_strerror_last(). */\n";
  std::string upper = guard.substr(0, guard.size() - 7); // without _SKEL_H
  o += "#ifndef " + guard + "\n#define " + guard +
       "\n\n"
       "/* 1 only when gen-skeleton verified every loader's signature against the\n"
       " * certificates of the build (--cert/--ca-dir). */\n"
       "#define " +
       upper + "_BPF_SIGNED " + (m.verified ? "1" : "0") +
       "\n\n"
       "#include <bpfseal/bpfseal.h>\n\n"
       "#include <errno.h>\n#include <stdlib.h>\n\n";
  o += "static const unsigned char " + m.name + "_sealed_object[] = {" + byteArray(m.bytes) +
       "};\n\n";
  // Fds by name, filled by __load: the field names are checked by the C
  // compiler, the strings they stand for by the manifest that produced them.
  o += "struct " + st + " {\n  struct bpfseal_object *obj;\n";
  o += "  struct { /* program fds, -1 until loaded */\n";
  for (const auto &p : m.programs)
    o += "    int " + p.accessor + "; /* " + describe(m.manifest->programs[p.index]) + " */\n";
  if (m.programs.empty())
    o += "    int _none;\n";
  o += "  } progs;\n  struct { /* map fds, -1 until loaded */\n";
  for (const auto &mp : m.maps) {
    o += "    int " + mp.accessor + "; /* " + describe(m.manifest->maps[mp.index]) + " */\n";
  }
  if (m.maps.empty())
    o += "    int _none;\n";
  o += "  } maps;\n};\n\n";

  o += "static inline void " + st + "__destroy(struct " + st +
       " *skel)\n{\n"
       "  if (!skel)\n    return;\n  bpfseal_object__close(skel->obj);\n  free(skel);\n}\n\n";
  o += "/* Parses and cross-checks the embedded seal; no kernel access yet. */\n"
       "static inline struct " +
       st + " *" + st +
       "__open(void)\n{\n"
       "  struct " +
       st + " *skel = (struct " + st +
       " *)calloc(1, sizeof(*skel));\n"
       "  if (!skel)\n    return NULL;\n";
  for (const auto &p : m.programs)
    o += "  skel->progs." + p.accessor + " = -1;\n";
  for (const auto &mp : m.maps)
    o += "  skel->maps." + mp.accessor + " = -1;\n";
  o += "  BPFSEAL_OPTS(bpfseal_open_opts, open_opts, .object_name = " +
       cString(m.name + " (embedded)") +
       ");\n"
       "  skel->obj = bpfseal_object__open_mem(" +
       m.name + "_sealed_object, sizeof(" + m.name +
       "_sealed_object),\n                                       &open_opts);\n"
       "  if (!skel->obj) {\n    int err = errno;\n    free(skel);\n    errno = err;\n"
       "    return NULL;\n  }\n  return skel;\n}\n\n";
  o += "/* Verifies (per opts->mode) and loads; then fills skel->progs and skel->maps. */\n"
       "static inline int " +
       st + "__load(struct " + st +
       " *skel, const struct bpfseal_load_opts *opts)\n{\n"
       "  int err = bpfseal_object__load(skel->obj, opts);\n  if (err)\n    return err;\n";
  for (const auto &p : m.programs)
    o += "  skel->progs." + p.accessor + " = bpfseal_object__prog_fd(skel->obj, " +
         cString(p.name) + ");\n";
  for (const auto &mp : m.maps)
    o += "  skel->maps." + mp.accessor + " = bpfseal_object__map_fd(skel->obj, " +
         cString(mp.name) + ");\n";
  o += "  return 0;\n}\n\n";
  o += "static inline struct " + st + " *" + st +
       "__open_and_load(const struct bpfseal_load_opts *opts)\n{\n"
       "  struct " +
       st + " *skel = " + st +
       "__open();\n  if (!skel)\n    return NULL;\n"
       "  int err = " +
       st + "__load(skel, opts);\n  if (err) {\n    " + st +
       "__destroy(skel);\n    errno = -err;\n    return NULL;\n  }\n  return skel;\n}\n\n";
  o += "/* Attaches every program by its section; returns how many were attached. */\n"
       "static inline int " +
       st + "__attach(struct " + st +
       " *skel, const struct bpfseal_attach_opts *opts)\n{\n"
       "  return bpfseal_object__attach_all(skel->obj, opts);\n}\n\n";
  o += "static inline void " + st + "__detach(struct " + st +
       " *skel)\n{\n"
       "  bpfseal_object__detach_all(skel->obj);\n}\n\n";
  o += "#endif /* " + guard + " */\n";
  return o;
}

} // namespace bpfseal::cli

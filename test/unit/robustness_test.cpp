// Hostile and damaged inputs for every parser of untrusted bytes: the sealed
// object reader, the manifest JSON, CMS signatures and the CLI commands that
// print them. Each case is a minimal reproducer of something the fuzzers in
// test/fuzz found or that the format must refuse; all must give one error
// line naming the cause, never a crash, hang or output file.
#include "bpfseal/format.h"
#include "bpfseal/signing.h"

#include "../../sealer/src/elf_util.h"
#include "../../sealer/src/units.h"
#include "bpfseal/internal/elf_image.h"

#include <gtest/gtest.h>

#include <elf.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace bpfseal;
using namespace bpfseal::format;

namespace {

namespace fs = std::filesystem;

// --- fixtures ----------------------------------------------------------------

struct Keys {
  std::string dir, key, cert;
  Keys() {
    std::string tmpl = (fs::temp_directory_path() / "bpfseal-robust-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    signing::KeygenOptions opts;
    opts.subject = "CN=robustness";
    opts.bits = 2048;
    auto m = signing::generateSigningKey(opts);
    EXPECT_TRUE(m);
    key = dir + "/k.pem";
    cert = dir + "/c.pem";
    std::ofstream(key) << m->key_pem;
    std::ofstream(cert) << m->cert_pem;
  }
  ~Keys() { fs::remove_all(dir); }
};

const Keys &keys() {
  static Keys k;
  return k;
}

const signing::TrustStore &trust() {
  static signing::TrustStore t = [] {
    auto s = signing::loadTrustStore({keys().cert}, "");
    EXPECT_TRUE(s);
    return s.take();
  }();
  return t;
}

std::vector<uint8_t> baseElf() {
  auto bytes = readFile(std::string(BPFSEAL_TEST_BIN_DIR) + "/core_minimal.bpf.o");
  EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().str());
  return bytes ? bytes.take() : std::vector<uint8_t>{};
}

constexpr char kLoader[] = "zqzqzq"; // distinctive, so tests can find its bytes

Manifest manifest() {
  Manifest m;
  m.object_name = "core_minimal";
  m.license = "GPL";
  m.tool_version = "test";
  m.programs.push_back({"count_enter", "raw_tp/sys_enter", "raw_tracepoint", "", "x.c:1", ""});
  m.maps.push_back({"counts", "array", 4, 8, 1, 0, false});
  m.loaders.push_back({kLoader, LoaderKind::KernelCheck, {}, ""});
  return m;
}

// metadata = blob || json || pad || "BPFSMETA" | blob_size | json_size, with
// arbitrary JSON so the manifest parser can be fed anything.
std::vector<uint8_t> rawMetadata(const std::string &json, size_t blob = 16) {
  std::vector<uint8_t> out;
  out.reserve(blob + json.size() + 32);
  out.assign(blob, 0x5a);
  out.insert(out.end(), json.begin(), json.end());
  out.resize((out.size() + 16 + 7) / 8 * 8 - 16, 0);
  out.insert(out.end(), kMetadataTrailerMagic, kMetadataTrailerMagic + 8);
  for (uint32_t v : {uint32_t(blob), uint32_t(json.size())})
    for (int i = 0; i < 4; ++i)
      out.push_back(uint8_t(v >> (8 * i)));
  return out;
}

const std::vector<uint8_t> kLoaderBody = {0xb7, 0, 0, 0, 0, 0, 0, 0,
                                          0x95, 0, 0, 0, 0, 0, 0, 0}; // r0 = 0; exit

// A sealed object written by writeSealed for `manifest()`, whose metadata and
// signature slots are then replaced by arbitrary bytes (the index's metadata
// size follows), so the reader can be fed anything there. The digests are the
// writer's, which is fine: the reader parses the metadata before it checks
// them.
std::vector<uint8_t> sealedWith(const std::vector<uint8_t> &metadata,
                                std::vector<uint8_t> signature = {}) {
  SealInput in;
  in.blob.assign(16, 0x5a);
  in.loader_body = kLoaderBody;
  in.manifest = manifest();
  auto file = writeSealed(baseElf(), in);
  EXPECT_TRUE(file) << (file ? "" : file.error().str());
  if (!file)
    return {};
  auto img = elf::open(*file);
  EXPECT_TRUE(img);
  std::map<std::string, std::vector<uint8_t>> overrides;
  if (!metadata.empty()) { // else: the writer's metadata, so the file reads
    std::span<const uint8_t> index = img->contents(*img->find(kIndexSection));
    std::vector<uint8_t> new_index(index.begin(), index.end());
    uint32_t size = uint32_t(metadata.size());
    std::memcpy(new_index.data() + 16, &size, 4);
    overrides[kIndexSection] = new_index;
    overrides[kMetadataSection] = metadata;
  }
  std::vector<uint8_t> slot(4 + signature.size());
  uint32_t len = uint32_t(signature.size());
  std::memcpy(slot.data(), &len, 4);
  std::copy(signature.begin(), signature.end(), slot.begin() + 4);
  slot.resize(kSignatureSlotSize, 0);
  overrides[std::string(kSignatureSectionPrefix) + kLoader] = slot;
  auto out = elf::rewrite(*img, overrides, {});
  EXPECT_TRUE(out) << (out ? "" : out.error().str());
  return out ? out.take() : std::vector<uint8_t>{};
}

const std::vector<uint8_t> &validSealed() {
  static std::vector<uint8_t> v = [] {
    SealInput in;
    in.blob.assign(16, 0x5a);
    in.loader_body = kLoaderBody;
    in.manifest = manifest();
    auto file = writeSealed(baseElf(), in);
    EXPECT_TRUE(file) << (file ? "" : file.error().str());
    return file ? file.take() : std::vector<uint8_t>{};
  }();
  return v;
}

const std::vector<uint8_t> &signedSealed() {
  static std::vector<uint8_t> v = [] {
    auto key = signing::loadSigningKey(keys().key, keys().cert);
    EXPECT_TRUE(key);
    auto out = signing::signSealedFile(validSealed(), **key);
    EXPECT_TRUE(out) << (out ? "" : out.error().str());
    return out ? out.take() : std::vector<uint8_t>{};
  }();
  return v;
}

// --- raw ELF64 editing --------------------------------------------------------

struct ElfEdit {
  std::vector<uint8_t> b;
  explicit ElfEdit(std::vector<uint8_t> bytes) : b(std::move(bytes)) {}
  Elf64_Ehdr &eh() { return *reinterpret_cast<Elf64_Ehdr *>(b.data()); }
  Elf64_Shdr &sh(size_t i) {
    return *reinterpret_cast<Elf64_Shdr *>(b.data() + eh().e_shoff + i * sizeof(Elf64_Shdr));
  }
  size_t count() { return eh().e_shnum; }
  const char *name(size_t i) {
    return reinterpret_cast<const char *>(b.data() + sh(eh().e_shstrndx).sh_offset + sh(i).sh_name);
  }
  size_t find(const std::string &n) {
    for (size_t i = 1; i < count(); ++i)
      if (n == name(i))
        return i;
    ADD_FAILURE() << "no section " << n;
    return 0;
  }
  Elf64_Shdr &sec(const std::string &n) { return sh(find(n)); }
  uint8_t *data(const std::string &n) { return b.data() + sec(n).sh_offset; }
  // Keeps the index's record of the metadata size in step, so a test reaches
  // the check behind it.
  void fixMetadataSize() {
    uint32_t size = uint32_t(sec(kMetadataSection).sh_size);
    std::memcpy(data(kIndexSection) + 16, &size, 4);
  }
};

const std::string kLoaderSec = std::string(kLoaderSectionPrefix) + kLoader;
const std::string kSigSec = std::string(kSignatureSectionPrefix) + kLoader;

// --- expectations ---------------------------------------------------------------

bool oneLine(const Error &e) {
  return !e.msg.empty() && e.msg.find('\n') == std::string::npos &&
         e.hint.find('\n') == std::string::npos;
}

// Rejected by readSealed with one line containing `cause`.
void expectRejected(std::span<const uint8_t> file, const std::string &cause) {
  auto start = std::chrono::steady_clock::now();
  auto r = readSealed(file);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(r) << "accepted; expected: " << cause;
  EXPECT_TRUE(oneLine(r.error())) << r.error().str();
  EXPECT_NE(r.error().str().find(cause), std::string::npos)
      << "error: " << r.error().str() << "\nexpected to contain: " << cause;
}

TEST(Robustness, FixturesAreValid) {
  auto r = readSealed(validSealed());
  ASSERT_TRUE(r) << r.error().str();
  auto s = readSealed(signedSealed());
  ASSERT_TRUE(s) << s.error().str();
  std::vector<signing::LoaderVerdict> v;
  EXPECT_TRUE(signing::verifySealed(*s, trust(), v));
}

// --- ELF structure -------------------------------------------------------------

TEST(Robustness, TruncationAtEverySectionBoundary) {
  ElfEdit e(signedSealed());
  std::vector<size_t> cuts = {0,
                              1,
                              4,
                              16,
                              sizeof(Elf64_Ehdr) - 1,
                              sizeof(Elf64_Ehdr),
                              size_t(e.eh().e_shoff),
                              e.b.size() - 1};
  for (size_t i = 1; i < e.count(); ++i) {
    cuts.push_back(e.sh(i).sh_offset);
    cuts.push_back(e.sh(i).sh_offset + e.sh(i).sh_size / 2);
    cuts.push_back(e.sh(i).sh_offset + e.sh(i).sh_size);
    cuts.push_back(e.eh().e_shoff + i * sizeof(Elf64_Shdr));
  }
  for (size_t cut : cuts) {
    if (cut >= e.b.size())
      continue;
    SCOPED_TRACE("cut at " + std::to_string(cut));
    auto r = readSealed(std::span<const uint8_t>(e.b.data(), cut));
    ASSERT_FALSE(r);
    EXPECT_TRUE(oneLine(r.error())) << r.error().str();
  }
}

TEST(Robustness, TruncatedSectionHeaderTableSaysSo) {
  const std::vector<uint8_t> &good = signedSealed();
  expectRejected(std::span<const uint8_t>(good.data(), good.size() / 2), "section header table");
  expectRejected(std::span<const uint8_t>(good.data(), good.size() - 1), "truncated");
}

TEST(Robustness, SectionOutsideTheFile) {
  ElfEdit e(signedSealed());
  e.sec(kMetadataSection).sh_offset = e.b.size() + 100;
  expectRejected(e.b, "extends past the end of the file");
}

TEST(Robustness, HugeSectionSizeAndOffset) {
  ElfEdit a(signedSealed());
  a.sec(kIndexSection).sh_size = 0xfffffffffffff000ull;
  expectRejected(a.b, "ELF");
  ElfEdit b(signedSealed());
  b.sec(kSigSec).sh_offset = 0xfffffffffffffff0ull;
  expectRejected(b.b, "ELF");
}

TEST(Robustness, HugeSectionAlignment) {
  // Found by fuzz_sealed: libelf pads a rewritten file to each section's
  // alignment, so sign spent minutes writing petabytes of zeros.
  ElfEdit e(signedSealed());
  e.sec(".text").sh_addralign = 1ull << 50;
  expectRejected(e.b, "alignment 1125899906842624");
  ElfEdit b(signedSealed());
  b.sec(kSigSec).sh_addralign = 24;
  expectRejected(b.b, "not a power of two");
  ElfEdit c(baseElf());
  c.sec(".text").sh_addralign = 1ull << 50;
  EXPECT_FALSE(sealer::elf::checkBpfElf(c.b));
}

TEST(Robustness, SectionCountZeroOrHuge) {
  ElfEdit a(signedSealed());
  a.eh().e_shnum = 0;
  expectRejected(a.b, "ELF");
  ElfEdit b(signedSealed());
  b.eh().e_shnum = 0xffff;
  expectRejected(b.b, "ELF");
}

TEST(Robustness, SectionNameTableIndexOutOfRange) {
  ElfEdit a(signedSealed());
  a.eh().e_shstrndx = uint16_t(a.count() + 3);
  expectRejected(a.b, "section name table");
  ElfEdit b(signedSealed());
  b.eh().e_shstrndx = uint16_t(b.find(kIndexSection)); // not a string table
  expectRejected(b.b, "section name table");
  ElfEdit c(signedSealed());
  c.eh().e_shstrndx = 0;
  expectRejected(c.b, "section name table");
}

TEST(Robustness, SectionNameWithoutNul) {
  ElfEdit e(signedSealed());
  Elf64_Shdr &strtab = e.sh(e.eh().e_shstrndx);
  // Point a name at the table's last byte and make that byte not NUL.
  e.b[strtab.sh_offset + strtab.sh_size - 1] = 'x';
  e.sec(kIndexSection).sh_name = uint32_t(strtab.sh_size - 1);
  auto r = readSealed(e.b);
  ASSERT_FALSE(r);
  EXPECT_TRUE(oneLine(r.error())) << r.error().str();
}

TEST(Robustness, OverlappingSections) {
  // The signature slot aliasing the loader's instructions.
  // Refused as llvm-readelf would (issue 8.7: no parser differential).
  ElfEdit e(signedSealed());
  e.sec(kSigSec).sh_offset = e.sec(kLoaderSec).sh_offset;
  e.sec(kSigSec).sh_size = e.sec(kLoaderSec).sh_size;
  expectRejected(e.b, "overlap");
}

TEST(Robustness, TwoSectionsWithOneName) {
  ElfEdit e(signedSealed());
  // Rename the signature slot to ".bpfseal.meta": two metadata sections.
  e.sec(kSigSec).sh_name = e.sec(kMetadataSection).sh_name;
  expectRejected(e.b, "two sections are named '.bpfseal.meta'");
}

TEST(Robustness, LoaderSizeNotWholeInstructions) {
  ElfEdit e(signedSealed());
  e.sec(kLoaderSec).sh_size -= 3;
  // A section header changed: the whole-file digest names the layout.
  expectRejected(e.b, "file layout");
}

// --- the index ------------------------------------------------------------------

TEST(Robustness, IndexLoaderCountHuge) {
  for (uint32_t count : {0xffffffffu, 0x02aaaaabu, 0u}) {
    ElfEdit e(signedSealed());
    std::memcpy(e.data(kIndexSection) + 12, &count, 4);
    SCOPED_TRACE(count);
    expectRejected(e.b, "loader count");
  }
}

TEST(Robustness, LoaderNameThatIsAPath) {
  // bpfseal sign --detached DIR writes DIR/<loader>.p7s: a name like "../a"
  // must never get that far, even when index, manifest and sections agree.
  ElfEdit e(validSealed());
  for (size_t i = 0; i + 6 <= e.b.size(); ++i)
    if (std::memcmp(e.b.data() + i, kLoader, 6) == 0)
      std::memcpy(e.b.data() + i, "../zzz", 6);
  e.fixMetadataSize();
  expectRejected(e.b, "outside [a-z0-9_-]");
}

// --- metadata and manifest ------------------------------------------------------

TEST(Robustness, TrailerSizesThatOverflow) {
  std::vector<uint8_t> md = rawMetadata("{}");
  for (auto [blob, json] : {std::pair{0xffffffffu, 0xffffffffu},
                            {0xfffffff0u, 0x20u},
                            {0u, 0xffffffffu},
                            {0xffffffffu, 0u}}) {
    std::memcpy(md.data() + md.size() - 8, &blob, 4);
    std::memcpy(md.data() + md.size() - 4, &json, 4);
    auto r = splitMetadata(md);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("do not add up"), std::string::npos) << r.error().str();
    expectRejected(sealedWith(md), "do not add up");
  }
}

std::string manifestJson() { return serializeManifest(manifest()); }

std::string replaced(std::string s, const std::string &from, const std::string &to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

TEST(Robustness, ManifestDeeplyNested) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto r = parseManifest(deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("nested deeper"), std::string::npos) << r.error().str();
  // Inside the free-form "units" of an otherwise valid manifest.
  std::string units = std::string(5000, '[') + std::string(5000, ']');
  expectRejected(sealedWith(rawMetadata(
                     replaced(manifestJson(), "\"units\":[]", "\"units\":[" + units + "]"))),
                 "nested deeper");
  std::string objs;
  for (int i = 0; i < 5000; ++i)
    objs += "{\"a\":";
  objs += "1" + std::string(5000, '}');
  expectRejected(sealedWith(rawMetadata(
                     replaced(manifestJson(), "\"units\":[]", "\"units\":[" + objs + "]"))),
                 "nested deeper");
}

TEST(Robustness, ManifestNumbers) {
  const std::string json = manifestJson();
  for (const char *bad :
       {"1e300", "-1", "4294967296", "1.5", "99999999999999999999999", "\"4\"", "true", "null"}) {
    SCOPED_TRACE(bad);
    auto r = parseManifest(replaced(json, "\"key_size\":4", std::string("\"key_size\":") + bad));
    ASSERT_FALSE(r);
    EXPECT_TRUE(oneLine(r.error()));
    EXPECT_NE(r.error().str().find("key_size"), std::string::npos) << r.error().str();
  }
  // 1e400 is not even a double.
  EXPECT_FALSE(parseManifest(replaced(json, "\"key_size\":4", "\"key_size\":1e400")));
  // excl_off is the one signed field.
  EXPECT_TRUE(parseManifest(replaced(json, "\"excl_off\":-1", "\"excl_off\":-2147483648")));
  EXPECT_FALSE(parseManifest(replaced(json, "\"excl_off\":-1", "\"excl_off\":-2147483649")));
  const std::string version = "\"format_version\":" + std::to_string(kFormatVersion);
  EXPECT_FALSE(parseManifest(replaced(json, version, version + ".0")));
}

TEST(Robustness, ManifestWrongTypes) {
  const std::string json = manifestJson();
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"programs\":[", "\"programs\":\"x\",\"p\":["},
           {"\"maps\":[", "\"maps\":{\"a\":["},
           {"\"internal\":false", "\"internal\":0"},
           {"\"license\":\"GPL\"", "\"license\":[\"GPL\"]"},
           {"\"units\":[]", "\"units\":{}"},
           {"\"layout\":{", "\"layout\":[{"},
       }) {
    std::string text = replaced(json, from, to);
    if (to == "\"maps\":{\"a\":[")
      text = replaced(text, "}],\"baked\"", "}]},\"baked\"");
    if (to == "\"layout\":[{")
      text = replaced(text, "},\"kernels\"", "}],\"kernels\"");
    SCOPED_TRACE(text);
    auto r = parseManifest(text);
    ASSERT_FALSE(r);
    EXPECT_TRUE(oneLine(r.error())) << r.error().str();
  }
  EXPECT_FALSE(parseManifest("[]"));
  EXPECT_FALSE(parseManifest(""));
  EXPECT_FALSE(parseManifest(std::string_view("{\0}", 3)));
}

TEST(Robustness, ManifestDuplicateKeys) {
  const std::string json = manifestJson();
  auto r = parseManifest(
      replaced(json, "\"license\":\"GPL\"", "\"license\":\"GPL\",\"license\":\"Proprietary\""));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("duplicate key 'license'"), std::string::npos) << r.error().str();
  // Duplicates in nested objects, and equal keys in sibling objects (fine).
  EXPECT_FALSE(
      parseManifest(replaced(json, "\"internal\":false", "\"internal\":false,\"internal\":true")));
  EXPECT_FALSE(parseManifest(replaced(json, "\"units\":[]", "\"units\":[{\"a\":1,\"a\":2}]")));
  EXPECT_TRUE(parseManifest(replaced(json, "\"units\":[]", "\"units\":[{\"a\":1},{\"a\":2}]")));
  // Objects past the linear search's 16 keys: the repeat of the first key, and
  // of the last, are found; distinct keys pass.
  std::string many;
  for (int i = 0; i < 40; ++i)
    many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  for (const char *repeat : {"\"k0\":0", "\"k39\":1", "\"k16\":2"}) {
    SCOPED_TRACE(repeat);
    auto dup = parseManifest(replaced(json, "\"units\":[]", "\"units\":[{" + many + repeat + "}]"));
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().str().find("duplicate key 'k"), std::string::npos) << dup.error().str();
  }
  EXPECT_TRUE(parseManifest(replaced(json, "\"units\":[]", "\"units\":[{" + many + "\"z\":1}]")));
  // The key is the file's, so the message escapes it.
  auto esc = parseManifest(
      replaced(json, "\"units\":[]", "\"units\":[{\"\\u001b[2J\":1,\"\\u001b[2J\":2}]"));
  ASSERT_FALSE(esc);
  EXPECT_EQ(esc.error().str().find('\x1b'), std::string::npos) << esc.error().str();
  EXPECT_TRUE(oneLine(esc.error()));
}

TEST(Robustness, ManifestNotUtf8) {
  const std::string json = manifestJson();
  for (const char *bad : {"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf"}) {
    auto r = parseManifest(replaced(json, "\"GPL\"", std::string("\"GPL") + bad + "\""));
    ASSERT_FALSE(r);
    EXPECT_TRUE(oneLine(r.error()));
  }
  expectRejected(sealedWith(rawMetadata(replaced(json, "\"GPL\"", "\"G\xffL\""))), "not UTF-8");
}

TEST(Robustness, SealingNamesThatAreNotUtf8) {
  // Found by mutating seal_types.o: libbpf accepted a program in section
  // "raw_tp/sy\xb3\xda\xd3\x0eter" and serializeManifest threw from seal.
  Manifest m = manifest();
  m.programs[0].section = "raw_tp/sy\xb3\xda\xd3\x0eter";
  std::string json;
  EXPECT_NO_THROW(json = serializeManifest(m));
  SealInput s;
  s.manifest = m;
  s.loader_body = kLoaderBody;
  auto file = writeSealed(baseElf(), s);
  ASSERT_FALSE(file);
  EXPECT_TRUE(oneLine(file.error()));
  EXPECT_NE(file.error().str().find("program 0 section is not valid UTF-8"), std::string::npos)
      << file.error().str();
  for (const char *bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82"}) {
    s.manifest = manifest();
    s.manifest.maps[0].name = bad;
    EXPECT_FALSE(writeSealed(baseElf(), s)) << bad;
  }
  s.manifest = manifest();
  s.manifest.maps[0].name = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; // valid
  EXPECT_TRUE(writeSealed(baseElf(), s));
}

TEST(Robustness, ManifestLoadersDisagreeWithIndex) {
  Manifest two = manifest();
  two.loaders.push_back({"other", LoaderKind::KernelCheck, {}, ""});
  // The index lists one loader, the metadata's manifest two.
  expectRejected(sealedWith(buildMetadata({}, two)), "different loaders");
  // The manifest of the valid file (with its digests), one loader changed.
  auto valid = readSealed(validSealed());
  ASSERT_TRUE(valid);
  auto view = splitMetadata(valid->metadata);
  ASSERT_TRUE(view);
  std::vector<uint8_t> blob(view->blob.begin(), view->blob.end());
  Manifest renamed = valid->manifest;
  renamed.loaders[0].name = "other";
  expectRejected(sealedWith(buildMetadata(blob, renamed)), "belongs to no loader of the manifest");
  Manifest kind = valid->manifest;
  kind.loaders[0].kind = LoaderKind::LoaderCheck;
  expectRejected(sealedWith(buildMetadata(blob, kind)), "differs from the signed manifest");
}

// --- signatures ------------------------------------------------------------------

TEST(Robustness, SignatureSectionTooLarge) {
  expectRejected(sealedWith({}, std::vector<uint8_t>(4097, 0x30)), "larger than 4096 bytes");
}

TEST(Robustness, CmsWithHugeOrEmptyFields) {
  std::vector<std::vector<uint8_t>> sigs = {
      {0x30},
      {0x30, 0x00},
      {0x30, 0x80, 0x00, 0x00},                         // indefinite length, empty
      {0x30, 0x84, 0xff, 0xff, 0xff, 0xff},             // 4 GiB SEQUENCE
      {0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
      {0x30, 0x06, 0x06, 0x00, 0xa0, 0x02, 0x30, 0x00}, // empty OID, empty content
      {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02},
  };
  // A real signature with each length byte in turn made huge or zero.
  auto good = readSealed(signedSealed());
  ASSERT_TRUE(good);
  const std::vector<uint8_t> &real = good->loaders[0].signature;
  for (size_t i = 1; i < real.size() && i < 200; ++i)
    for (uint8_t v : {uint8_t(0x00), uint8_t(0x84), uint8_t(0xff)}) {
      std::vector<uint8_t> s = real;
      s[i] = v;
      sigs.push_back(std::move(s));
    }
  static const uint8_t payload[] = "payload";
  for (const auto &sig : sigs) {
    auto d = signing::describeSignature(sig, trust());
    auto v = signing::verifyDetached(trust(), payload, sig);
    EXPECT_FALSE(v);
    EXPECT_TRUE(oneLine(v.error())) << v.error().str();
    if (!d) {
      EXPECT_TRUE(oneLine(d.error())) << d.error().str();
    }
  }
  // In a sealed object: verifySealed reports it per loader.
  auto r = readSealed(sealedWith({}, sigs[3]));
  ASSERT_TRUE(r) << r.error().str();
  std::vector<signing::LoaderVerdict> verdicts;
  Status st = signing::verifySealed(*r, trust(), verdicts);
  ASSERT_FALSE(st);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_FALSE(verdicts[0].ok);
  EXPECT_NE(st.error().str().find(kLoader), std::string::npos) << st.error().str();
}

// --- random damage ---------------------------------------------------------------

TEST(Robustness, ByteFlipsNeverVerify) {
  // Deterministic: every 11th byte of the signed object flipped in turn. Each
  // result is either rejected with one line, or (a byte no check covers, e.g.
  // in the base object's DWARF) still verifies with identical signed contents.
  const std::vector<uint8_t> &good = signedSealed();
  auto ref = readSealed(good);
  ASSERT_TRUE(ref);
  size_t rejected = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < good.size(); i += 11) {
    std::vector<uint8_t> b = good;
    b[i] ^= 0x41;
    auto r = readSealed(b);
    if (!r) {
      ++rejected;
      EXPECT_TRUE(oneLine(r.error())) << i << ": " << r.error().str();
      continue;
    }
    std::vector<signing::LoaderVerdict> v;
    if (Status st = signing::verifySealed(*r, trust(), v); !st) {
      ++rejected;
      EXPECT_TRUE(oneLine(st.error())) << i << ": " << st.error().str();
      continue;
    }
    EXPECT_EQ(r->metadata, ref->metadata) << "flip at " << i;
    EXPECT_EQ(r->loaders[0].insns, ref->loaders[0].insns) << "flip at " << i;
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

TEST(Robustness, ReadFileIsBounded) {
  auto dir = readFile(keys().dir);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().err, EISDIR);
  auto missing = readFile(keys().dir + "/missing.o");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().err, ENOENT);
  auto empty = readFile("/dev/null");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  // /dev/zero ends in EFBIG after 1 GiB (checked by hand: too much memory
  // for a unit test under ASan).
}

// --- the sealer's input check (before libbpf sees the object) ------------------------

TEST(Robustness, BpfElfPrecheck) {
  std::vector<uint8_t> base = baseElf();
  ASSERT_TRUE(sealer::elf::checkBpfElf(base));
  auto expectBad = [](std::vector<uint8_t> b, const std::string &cause) {
    Status st = sealer::elf::checkBpfElf(b);
    ASSERT_FALSE(st) << "accepted; expected: " << cause;
    EXPECT_TRUE(oneLine(st.error())) << st.error().str();
    EXPECT_NE(st.error().str().find(cause), std::string::npos) << st.error().str();
  };
  {
    ElfEdit e(base);
    e.eh().e_shstrndx = uint16_t(e.count() + 1);
    expectBad(e.b, "section name table");
  }
  {
    ElfEdit e(base);
    e.sec(".symtab").sh_entsize = 0;
    expectBad(e.b, ".symtab");
  }
  {
    ElfEdit e(base);
    e.sec(".symtab").sh_size -= 5;
    expectBad(e.b, ".symtab");
  }
  {
    ElfEdit e(base);
    e.sec(".symtab").sh_link = uint32_t(e.count() + 7);
    expectBad(e.b, ".symtab");
  }
  {
    // Found by mutating core_minimal.o: a symbol in a reserved section index
    // (0xff00..) other than ABS/COMMON made libbpf 1.1's linker write
    // through a null section pointer.
    ElfEdit e(base);
    Elf64_Sym *syms = reinterpret_cast<Elf64_Sym *>(e.data(".symtab"));
    size_t n = e.sec(".symtab").sh_size / sizeof(Elf64_Sym);
    ASSERT_GT(n, 2u);
    syms[n - 1].st_shndx = 0xff05;
    expectBad(e.b, "refers to section 65285");
  }
  {
    ElfEdit e(base);
    e.sec(".BTF").sh_size = 3;
    expectBad(e.b, ".BTF");
  }
  {
    ElfEdit e(base);
    e.data(".BTF")[0] = 0; // BTF magic
    expectBad(e.b, ".BTF");
  }
  {
    ElfEdit e(base);
    uint32_t huge = 0x7fffffff; // btf_header.type_len
    std::memcpy(e.data(".BTF") + 12, &huge, 4);
    expectBad(e.b, ".BTF");
  }
  {
    // Found by mutating seal_many_maps.o: one flipped byte in a struct
    // member's type id made libbpf 1.1 segfault in bpf_object__open.
    ElfEdit e(base);
    uint8_t *btf = e.data(".BTF");
    uint32_t hdr_len, type_off, type_len;
    std::memcpy(&hdr_len, btf + 4, 4);
    std::memcpy(&type_off, btf + 8, 4);
    std::memcpy(&type_len, btf + 12, 4);
    uint8_t *p = btf + hdr_len + type_off, *end = p + type_len;
    bool patched = false;
    while (p < end && !patched) {
      uint32_t info;
      std::memcpy(&info, p + 4, 4);
      uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
      if ((kind == 4 || kind == 5) && vlen) { // STRUCT/UNION: patch member 0's type
        uint32_t bad = 0x800000;
        std::memcpy(p + 12 + 4, &bad, 4);
        patched = true;
      }
      size_t extra = kind == 1 || kind == 14 || kind == 17 ? 4 : kind == 3 ? 12 : 0;
      size_t member = kind == 4 || kind == 5 || kind == 15 || kind == 19 ? 12
                      : kind == 6 || kind == 13                          ? 8
                                                                         : 0;
      p += 12 + extra + member * vlen;
    }
    ASSERT_TRUE(patched);
    expectBad(e.b, "refers to type id 8388608");
  }
}

TEST(Robustness, UnitManifestsFromObjects) {
  // .bpfseal.unit sections are read by seal and link from any object given.
  auto collect = [](const std::string &text) {
    std::vector<std::string> out;
    Status st =
        sealer::units::collect({reinterpret_cast<const uint8_t *>(text.data()), text.size()}, "x.o",
                               out);
    return std::make_pair(std::move(st), out);
  };
  auto [deep, none] = collect(std::string(200000, '[') + std::string(200000, ']'));
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().str().find("nested deeper"), std::string::npos) << deep.error().str();
  EXPECT_FALSE(collect("{\"a\":\"\xff\"}").first);
  EXPECT_FALSE(collect("{\"a\":1").first);
  // Wrong field types are ignored, not thrown (seal used ojson::value()).
  auto [ok, units] = collect("{\"programs\":[{\"function\":1,\"section\":[],\"line\":\"x\"},"
                             "{\"function\":\"f\",\"section\":\"s\",\"file\":2,\"line\":3}]}");
  ASSERT_TRUE(ok) << ok.error().str();
  EXPECT_EQ(sealer::units::sourceOf(units, "f", "s"), "");
  EXPECT_EQ(sealer::units::sourceOf(units, "1", ""), "");
  // Duplicate keys collapse, so the sealed manifest never has any.
  auto [dup, dunits] = collect("{\"a\":1,\"a\":2}");
  ASSERT_TRUE(dup);
  ASSERT_EQ(dunits.size(), 1u);
  EXPECT_EQ(dunits[0], "{\"a\":2}");
}

// --- the CLI: inspect / verify / sign on the same inputs ---------------------------

std::string bpfsealTool() {
  fs::path p = fs::path(BPFSEAL_TEST_BIN_DIR).parent_path() / "tools/bpfseal/bpfseal";
  return fs::exists(p) ? p.string() : std::string();
}

struct CmdResult {
  int status = -1;
  std::string err;
};

CmdResult run(const std::string &cmd) {
  CmdResult r;
  std::string full = cmd + " 2>&1 >/dev/null";
  FILE *f = popen(full.c_str(), "r");
  char buf[4096];
  size_t n;
  while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
    r.err.append(buf, n);
  r.status = f ? pclose(f) : -1;
  return r;
}

TEST(Robustness, CliRejectsWithOneLineAndNoOutput) {
  std::string tool = bpfsealTool();
  if (tool.empty())
    GTEST_SKIP() << "bpfseal tool not built next to the tests";
  std::string dir = keys().dir + "/cli";
  fs::create_directories(dir);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> inputs;
  {
    ElfEdit e(signedSealed());
    e.eh().e_shstrndx = uint16_t(e.count() + 3);
    inputs.push_back({"shstrndx", e.b});
  }
  {
    ElfEdit e(signedSealed());
    e.sec(kSigSec).sh_name = e.sec(kMetadataSection).sh_name;
    inputs.push_back({"dupname", e.b});
  }
  {
    ElfEdit e(validSealed());
    for (size_t i = 0; i + 6 <= e.b.size(); ++i)
      if (std::memcmp(e.b.data() + i, kLoader, 6) == 0)
        std::memcpy(e.b.data() + i, "../zzz", 6);
    e.fixMetadataSize();
    inputs.push_back({"pathname", e.b});
  }
  inputs.push_back({"deep", sealedWith(rawMetadata(replaced(manifestJson(), "\"units\":[]",
                                                            "\"units\":[" + std::string(3000, '[') +
                                                                std::string(3000, ']') + "]")))});
  inputs.push_back(
      {"truncated", std::vector<uint8_t>(signedSealed().begin(), signedSealed().begin() + 200)});
  for (auto &[name, bytes] : inputs) {
    SCOPED_TRACE(name);
    std::string in = dir + "/" + name + ".o";
    std::ofstream(in, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
    std::string out = dir + "/" + name + ".out.o", det = dir + "/" + name + ".det";
    for (const std::string &cmd :
         {tool + " inspect " + in, tool + " inspect --json " + in,
          tool + " verify --cert " + keys().cert + " " + in,
          tool + " verify --json --cert " + keys().cert + " " + in,
          tool + " sign --key " + keys().key + " --cert " + keys().cert + " " + in + " -o " + out,
          tool + " sign --key " + keys().key + " --cert " + keys().cert + " --detached " + det +
              " " + in,
          // Every input is refused before anything reaches the kernel.
          tool + " load --no-attach --cert " + keys().cert + " " + in}) {
      CmdResult r = run(cmd);
      ASSERT_TRUE(WIFEXITED(r.status)) << cmd << " died: " << r.err;
      EXPECT_NE(WEXITSTATUS(r.status), 0) << cmd;
      // One error line (the hint is on it).
      size_t lines = std::count(r.err.begin(), r.err.end(), '\n');
      EXPECT_GE(lines, 1u) << cmd;
      EXPECT_EQ(lines, 1u) << cmd << ": " << r.err;
      EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(out));
    EXPECT_TRUE(!fs::exists(det) || fs::is_empty(det));
  }
  // Free-form unit fields of any type are printed, not thrown on.
  std::string odd = dir + "/odd-units.o";
  SealInput odd_input;
  odd_input.manifest = manifest();
  odd_input.manifest.units_json =
      "[{\"source\":[1],\"programs\":[{\"function\":1,\"file\":{},\"line\":\"x\"}]}]";
  odd_input.loader_body = kLoaderBody;
  auto odd_file = writeSealed(baseElf(), odd_input);
  ASSERT_TRUE(odd_file) << odd_file.error().str();
  std::vector<uint8_t> odd_bytes = *odd_file;
  std::ofstream(odd, std::ios::binary)
      .write(reinterpret_cast<const char *>(odd_bytes.data()), std::streamsize(odd_bytes.size()));
  for (const std::string &cmd : {tool + " inspect " + odd, tool + " inspect --json " + odd}) {
    CmdResult r = run(cmd);
    ASSERT_TRUE(WIFEXITED(r.status)) << cmd << " died: " << r.err;
    EXPECT_EQ(WEXITSTATUS(r.status), 0) << cmd << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(fs::path(dir).parent_path() / "zzz.p7s"));
  EXPECT_FALSE(fs::exists(fs::path(dir).parent_path() / "zzz.payload"));
}

} // namespace

// The sealed-object format: round trips, determinism, and that every kind of
// damage the reader can see is reported instead of accepted.
#include "bpfseal/format.h"
#include "elf_test_util.h"

#include <bpf/libbpf.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>

#include <algorithm>

using namespace bpfseal;
using namespace bpfseal::format;

namespace {

std::vector<uint8_t> minimalObject() {
  auto bytes = readFile(std::string(BPFSEAL_TEST_BIN_DIR) + "/core_minimal.bpf.o");
  EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().str());
  return bytes ? bytes.take() : std::vector<uint8_t>{};
}

// Two loaders of the two kinds around one loader body (any whole number of
// instructions: the writer puts each kind's prologue in front of it).
SealInput sampleInput() {
  Manifest m;
  m.object_name = "core_minimal";
  m.object_version = 7;
  m.license = "GPL";
  m.tool_version = "test";
  m.programs.push_back({"count_enter", "raw_tp/sys_enter", "raw_tracepoint", "", "x.c:15", ""});
  m.maps.push_back({"hits", "array", 4, 8, 1, 0, false});
  m.baked.push_back({"sample_rate", ".rodata", "unsigned int", "7", 0, 4});
  LoaderInfo kc{"kernel-check", LoaderKind::KernelCheck, {}, "7.3+"};
  MapLayout host{32, 288, 64, 68, 72, 76};
  LoaderInfo lc{"lc-host", LoaderKind::LoaderCheck, host, "6.18.44"};
  m.loaders = {kc, lc};
  m.units_json = R"([{"source":"x.c"}])";
  SealInput in;
  in.blob.assign(100, 0xab);
  in.loader_body.assign(24, 0x22);
  in.manifest = m;
  return in;
}

std::vector<uint8_t> sampleFile() {
  auto file = writeSealed(minimalObject(), sampleInput());
  EXPECT_TRUE(file) << (file ? "" : file.error().str());
  return file ? file.take() : std::vector<uint8_t>{};
}

} // namespace

TEST(CoreFormat, ManifestRoundTripIsCanonical) {
  Manifest m = sampleInput().manifest;
  m.sections.push_back({".text", 8, sha256(std::vector<uint8_t>(8, 1))});
  m.file_digest = sha256(std::vector<uint8_t>(3, 2));
  std::string json = serializeManifest(m);
  auto parsed = parseManifest(json);
  ASSERT_TRUE(parsed) << parsed.error().str();
  EXPECT_EQ(serializeManifest(*parsed), json);
  EXPECT_EQ(parsed->programs.at(0).section, "raw_tp/sys_enter");
  EXPECT_EQ(parsed->loaders.at(1).layout.excl_prog_sha_off, 288u);
  EXPECT_EQ(parsed->object_version, 7u);
  EXPECT_EQ(parsed->file_digest, m.file_digest);
  EXPECT_EQ(parsed->sections, m.sections);
}

TEST(CoreFormat, ManifestRejectsOtherVersionsAndGarbage) {
  Manifest m = sampleInput().manifest;
  m.format_version = kFormatVersion + 1;
  auto parsed = parseManifest(serializeManifest(m));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().err, ENOTSUP);
  EXPECT_FALSE(parseManifest("{\"format_version\":1}"));
  EXPECT_FALSE(parseManifest("not json"));
}

// Alternative program groups: absent without groups (old bytes unchanged),
// round-trip with them, and every rule the runtime relies on is enforced.
TEST(CoreFormat, ManifestAlternativeGroups) {
  Manifest m = sampleInput().manifest;
  EXPECT_EQ(serializeManifest(m).find("alternatives"), std::string::npos);
  m.programs.push_back({"count_tp", "tp/syscalls/sys_enter_getpid", "tracepoint", "", "", ""});
  m.programs.push_back({"count_fentry", "fentry/x", "tracing", "trace_fentry", "", ""});
  m.alternatives = {{"fentry", {"count_fentry"}}, {"tp", {"count_tp", "count_enter"}}};
  auto parsed = parseManifest(serializeManifest(m));
  ASSERT_TRUE(parsed) << parsed.error().str();
  EXPECT_EQ(parsed->alternatives, m.alternatives);
  EXPECT_EQ(serializeManifest(*parsed), serializeManifest(m));
  auto refused = [&](std::vector<AlternativeGroup> groups, const char *why) {
    Manifest bad = m;
    bad.alternatives = std::move(groups);
    auto r = parseManifest(serializeManifest(bad));
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().err, EBADMSG) << why;
  };
  refused({{"only", {"count_tp"}}}, "one group");
  refused({{"a", {"count_tp"}}, {"a", {"count_fentry"}}}, "repeated name");
  refused({{"A", {"count_tp"}}, {"b", {"count_fentry"}}}, "name outside [a-z0-9_-]");
  refused({{"", {"count_tp"}}, {"b", {"count_fentry"}}}, "empty name");
  refused({{"a", {}}, {"b", {"count_fentry"}}}, "empty group");
  refused({{"a", {"count_tp"}}, {"b", {"nosuch"}}}, "unknown program");
  refused({{"a", {"count_tp"}}, {"b", {"count_tp"}}}, "program in two groups");
}

TEST(CoreFormat, WriteReadRoundTripAndLibbpfStillOpens) {
  std::vector<uint8_t> base = minimalObject();
  ASSERT_FALSE(base.empty());
  SealInput in = sampleInput();
  auto file = writeSealed(base, in);
  ASSERT_TRUE(file) << file.error().str();

  auto back = readSealed(*file);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->manifest.object_version, 7u);
  ASSERT_EQ(back->loaders.size(), 2u);
  EXPECT_EQ(back->blobSize(), 100u);
  // Each loader is its kind's prologue followed by the shared body.
  for (const LoaderImage &l : back->loaders) {
    ASSERT_GT(l.insns.size(), in.loader_body.size());
    EXPECT_TRUE(std::equal(in.loader_body.rbegin(), in.loader_body.rend(), l.insns.rbegin()));
    EXPECT_TRUE(l.signature.empty());
  }
  EXPECT_GT(back->loaders[1].insns.size(), back->loaders[0].insns.size())
      << "the loader-check prologue holds the hash and exclusivity checks";
  EXPECT_EQ(signedPayload(*back, back->loaders[0]).size(),
            back->loaders[0].insns.size() + back->metadata.size());
  EXPECT_EQ(signedPayload(*back, back->loaders[1]), back->loaders[1].insns);
  // The manifest lists every section of the file but the blanked ones.
  ASSERT_FALSE(back->manifest.sections.empty());
  for (const SectionDigest &d : back->manifest.sections)
    EXPECT_NE(d.name.rfind(".bpfseal.meta", 0), 0u) << d.name;

  // Still a BPF object that libbpf opens (it skips the .bpfseal.* sections).
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "sealed");
  bpf_object *obj = bpf_object__open_mem(file->data(), file->size(), &opts);
  ASSERT_NE(obj, nullptr);
  EXPECT_NE(bpf_object__find_program_by_name(obj, "count_enter"), nullptr);
  bpf_object__close(obj);

  // Deterministic.
  auto again = writeSealed(base, in);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *file);
}

TEST(CoreFormat, SigningFillsSlotsAndMovesNothing) {
  std::vector<uint8_t> file = sampleFile();
  ASSERT_FALSE(file.empty());
  std::vector<uint8_t> sig(300, 0x5a);
  auto signed_file = replaceSignatures(file, {{"lc-host", sig}});
  ASSERT_TRUE(signed_file) << signed_file.error().str();
  auto back = readSealed(*signed_file);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->findLoader("lc-host")->signature, sig);
  EXPECT_TRUE(back->findLoader("kernel-check")->signature.empty());

  // Same size; the only bytes that changed are the slot's length and the
  // signature itself.
  ASSERT_EQ(signed_file->size(), file.size());
  size_t changed = 0;
  for (size_t i = 0; i < file.size(); ++i)
    changed += file[i] != (*signed_file)[i];
  EXPECT_LE(changed, sig.size() + 4);
  EXPECT_GT(changed, sig.size() - 4);

  // A signature can be replaced, and removed again.
  auto unsigned_again = replaceSignatures(*signed_file, {{"lc-host", {}}});
  ASSERT_TRUE(unsigned_again);
  EXPECT_EQ(*unsigned_again, file);

  EXPECT_FALSE(replaceSignatures(file, {{"no-such-loader", sig}}));
  EXPECT_FALSE(replaceSignatures(file, {{"lc-host", std::vector<uint8_t>(5000)}}));
}

TEST(CoreFormat, EveryDamageIsReported) {
  std::vector<uint8_t> file = sampleFile();
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(readSealed({}).error().err, ENOEXEC);
  std::vector<uint8_t> not_elf = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(readSealed(not_elf).error().err, ENOEXEC);
  for (size_t cut : {size_t(64), file.size() / 2, file.size() - 1}) {
    std::vector<uint8_t> truncated(file.begin(), file.begin() + cut);
    EXPECT_FALSE(readSealed(truncated)) << "cut at " << cut;
  }
  auto plain = readSealed(minimalObject());
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().err, ENOMSG);
  auto host_elf = readFile("/proc/self/exe");
  ASSERT_TRUE(host_elf);
  EXPECT_EQ(readSealed(*host_elf).error().err, ENOEXEC);
  EXPECT_FALSE(writeSealed(file, sampleInput())) << "sealing twice must fail";
}

// Whole-file coverage: a flipped bit anywhere in the file, ELF header,
// section headers, padding and every section included, is refused by the
// reader, except inside a signature (which only a signature check can judge;
// the CLI sweep in test/sign/byte-flip-sweep.test checks those too). With
// empty slots there is no signature byte: every byte counts.
TEST(CoreFormat, FlippingAnyByteOfTheFileIsRejected) {
  std::vector<uint8_t> file = sampleFile();
  ASSERT_FALSE(file.empty());
  size_t accepted = 0;
  std::string first;
  for (size_t i = 0; i < file.size(); ++i) {
    std::vector<uint8_t> copy = file;
    copy[i] ^= 0x01;
    auto r = readSealed(copy);
    // Flipping a bit of an empty slot's length makes a "signature" of zero
    // bytes: the signature's own bytes, which only a signature check judges
    // (test/unit/signing_sealed_test.cpp sweeps a signed file).
    if (r) {
      bool signature_bytes = false;
      for (const LoaderImage &l : r->loaders)
        signature_bytes |=
            !l.signature.empty() &&
            std::all_of(l.signature.begin(), l.signature.end(), [](uint8_t b) { return b == 0; });
      if (signature_bytes)
        continue;
      if (!accepted++)
        first = std::to_string(i);
    }
  }
  EXPECT_EQ(accepted, 0u) << "first accepted flip at byte " << first << " of " << file.size();
}

using bpfseal::test::sectionRange;

TEST(CoreFormat, ErrorsNameTheChangedSection) {
  std::vector<uint8_t> file = sampleFile();
  ASSERT_FALSE(file.empty());
  auto [prog_off, prog_size] = sectionRange(file, "raw_tp/sys_enter");
  ASSERT_GT(prog_size, 8u);
  std::vector<uint8_t> code = file;
  code[prog_off + 4] ^= 0x01; // an instruction's immediate
  auto r = readSealed(code);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("section 'raw_tp/sys_enter' differs from the signed manifest"),
            std::string::npos)
      << r.error().msg;

  // e_flags (bytes 48..51 of the ELF header): no section changed.
  std::vector<uint8_t> header = file;
  header[48] ^= 0x01;
  r = readSealed(header);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("file layout"), std::string::npos) << r.error().msg;
}

// The sealed-object format: round trips, determinism, and that every kind of
// damage the reader can see is reported instead of accepted.
#include "bpfseal/format.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>

using namespace bpfseal;
using namespace bpfseal::format;

namespace {

std::vector<uint8_t> minimalObject() {
  auto bytes = readFile(std::string(BPFSEAL_TEST_BIN_DIR) + "/core_minimal.bpf.o");
  EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().str());
  return bytes ? bytes.take() : std::vector<uint8_t>{};
}

SealedObject sampleSealed() {
  Manifest m;
  m.object_name = "core_minimal";
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

  std::vector<uint8_t> blob(100, 0xab);
  SealedObject s;
  s.metadata = buildMetadata(blob, m);
  s.manifest = m;
  s.loaders.push_back({kc, std::vector<uint8_t>(16, 0x11), {}});
  s.loaders.push_back({lc, std::vector<uint8_t>(24, 0x22), {}});
  return s;
}

} // namespace

TEST(CoreFormat, ManifestRoundTripIsCanonical) {
  SealedObject s = sampleSealed();
  std::string json = serializeManifest(s.manifest);
  auto parsed = parseManifest(json);
  ASSERT_TRUE(parsed) << parsed.error().str();
  EXPECT_EQ(serializeManifest(*parsed), json);
  EXPECT_EQ(parsed->programs.at(0).section, "raw_tp/sys_enter");
  EXPECT_EQ(parsed->loaders.at(1).layout.excl_prog_sha_off, 288u);
}

TEST(CoreFormat, ManifestRejectsOtherVersionsAndGarbage) {
  SealedObject s = sampleSealed();
  s.manifest.format_version = 2;
  auto parsed = parseManifest(serializeManifest(s.manifest));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().err, ENOTSUP);
  EXPECT_FALSE(parseManifest("{\"format_version\":1}"));
  EXPECT_FALSE(parseManifest("not json"));
}

TEST(CoreFormat, WriteReadRoundTripAndLibbpfStillOpens) {
  std::vector<uint8_t> base = minimalObject();
  ASSERT_FALSE(base.empty());
  SealedObject s = sampleSealed();
  auto file = writeSealed(base, s);
  ASSERT_TRUE(file) << file.error().str();

  auto back = readSealed(*file);
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(back->metadata, s.metadata);
  ASSERT_EQ(back->loaders.size(), 2u);
  EXPECT_EQ(back->loaders[1].insns, s.loaders[1].insns);
  EXPECT_EQ(back->loaders[1].info.layout, s.loaders[1].info.layout);
  EXPECT_EQ(back->blobSize(), 100u);
  EXPECT_EQ(signedPayload(*back, back->loaders[0]).size(), 16 + s.metadata.size());
  EXPECT_EQ(signedPayload(*back, back->loaders[1]).size(), 24u);

  // Still a BPF object that libbpf opens (it skips the .bpfseal.* sections).
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "sealed");
  bpf_object *obj = bpf_object__open_mem(file->data(), file->size(), &opts);
  ASSERT_NE(obj, nullptr);
  EXPECT_NE(bpf_object__find_program_by_name(obj, "count_enter"), nullptr);
  bpf_object__close(obj);

  // Deterministic.
  auto again = writeSealed(base, s);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *file);
}

TEST(CoreFormat, ReplaceSignaturesChangesOnlySignatures) {
  auto file = writeSealed(minimalObject(), sampleSealed());
  ASSERT_TRUE(file);
  std::vector<uint8_t> sig(300, 0x5a);
  auto signed_file = replaceSignatures(*file, {{"lc-host", sig}});
  ASSERT_TRUE(signed_file) << signed_file.error().str();
  auto back = readSealed(*signed_file);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->findLoader("lc-host")->signature, sig);
  EXPECT_TRUE(back->findLoader("kernel-check")->signature.empty());

  // Every byte before the signature sections is where it was; of the ELF
  // header only e_shoff (bytes 40..47) moves, as the section table follows.
  auto sig_at = std::search(signed_file->begin(), signed_file->end(), sig.begin(), sig.end());
  ASSERT_NE(sig_at, signed_file->end());
  size_t sig_off = size_t(sig_at - signed_file->begin());
  ASSERT_LT(sig_off, file->size());
  EXPECT_TRUE(std::equal(file->begin(), file->begin() + 40, signed_file->begin()));
  EXPECT_TRUE(std::equal(file->begin() + 48, file->begin() + sig_off,
                         signed_file->begin() + 48));
  auto orig = readSealed(*file);
  ASSERT_TRUE(orig);
  EXPECT_GT(sig_off, orig->metadata.size() + 16 + 24);

  EXPECT_FALSE(replaceSignatures(*file, {{"no-such-loader", sig}}));
  EXPECT_FALSE(replaceSignatures(*file, {{"lc-host", std::vector<uint8_t>(5000)}}));
}

TEST(CoreFormat, EveryDamageIsReported) {
  auto file = writeSealed(minimalObject(), sampleSealed());
  ASSERT_TRUE(file);
  EXPECT_EQ(readSealed({}).error().err, ENOEXEC);
  std::vector<uint8_t> not_elf = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(readSealed(not_elf).error().err, ENOEXEC);
  for (size_t cut : {size_t(64), file->size() / 2, file->size() - 1}) {
    std::vector<uint8_t> truncated(file->begin(), file->begin() + cut);
    EXPECT_FALSE(readSealed(truncated)) << "cut at " << cut;
  }
  auto plain = readSealed(minimalObject());
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().err, ENOMSG);
  auto host_elf = readFile("/proc/self/exe");
  ASSERT_TRUE(host_elf);
  EXPECT_EQ(readSealed(*host_elf).error().err, ENOEXEC);
  EXPECT_FALSE(writeSealed(*file, sampleSealed())) << "sealing twice must fail";
}

TEST(CoreFormat, FlippingAnyIndexMetadataOrLoaderByteIsRejected) {
  auto file = writeSealed(minimalObject(), sampleSealed());
  ASSERT_TRUE(file);
  auto sealed = readSealed(*file);
  ASSERT_TRUE(sealed);
  // Locate the covered sections by content: index magic, metadata, loaders.
  auto locate = [&](std::span<const uint8_t> needle) {
    auto it = std::search(file->begin(), file->end(), needle.begin(), needle.end());
    EXPECT_NE(it, file->end());
    return size_t(it - file->begin());
  };
  const uint8_t magic[8] = {'B', 'P', 'F', 'S', 'E', 'A', 'L', 0};
  size_t index_off = locate(magic);
  size_t index_size = 56 + 2 * 96;
  size_t meta_off = locate(sealed->metadata);
  size_t loaders_off = locate(sealed->loaders[0].insns);
  std::vector<std::pair<size_t, size_t>> ranges = {
      {index_off, index_size},
      {meta_off, sealed->metadata.size()},
      {loaders_off, 16 + 24}};
  size_t checked = 0;
  for (auto [off, len] : ranges) {
    for (size_t i = off; i < off + len; ++i) {
      std::vector<uint8_t> copy = *file;
      copy[i] ^= 0x01;
      EXPECT_FALSE(readSealed(copy)) << "flip at byte " << i << " accepted";
      ++checked;
    }
  }
  EXPECT_EQ(checked, index_size + sealed->metadata.size() + 40);
}

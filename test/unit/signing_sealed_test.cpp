// Signing whole sealed objects (built with format::writeSealed around a real
// BPF ELF, so these run without the sealer): sign, verify, re-sign, and every
// kind of tampering the signatures must catch.
#include "bpfseal/format.h"
#include "bpfseal/signing.h"
#include "elf_test_util.h"

#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace bpfseal;
using namespace bpfseal::format;
using namespace bpfseal::signing;

namespace {

struct TestKeys {
  std::string dir;
  std::string key[2], cert[2];
  TestKeys() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bpfseal-sealed-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    for (int i = 0; i < 2; ++i) {
      KeygenOptions opts;
      opts.subject = "CN=sealed test " + std::to_string(i);
      auto m = generateSigningKey(opts);
      EXPECT_TRUE(m);
      key[i] = dir + "/k" + std::to_string(i) + ".pem";
      cert[i] = dir + "/c" + std::to_string(i) + ".pem";
      std::ofstream(key[i]) << m->key_pem;
      std::ofstream(cert[i]) << m->cert_pem;
    }
  }
  ~TestKeys() { std::filesystem::remove_all(dir); }
};

const TestKeys &keys() {
  static TestKeys k;
  return k;
}

std::unique_ptr<SigningKey> loadKey(int i) {
  auto k = loadSigningKey(keys().key[i], keys().cert[i]);
  EXPECT_TRUE(k) << (k ? "" : k.error().str());
  return k ? k.take() : nullptr;
}

TrustStore trust(int i) {
  auto t = loadTrustStore({keys().cert[i]}, "");
  EXPECT_TRUE(t);
  return t.take();
}

std::vector<uint8_t> baseElf() {
  auto bytes = readFile(std::string(BPFSEAL_TEST_BIN_DIR) + "/core_minimal.bpf.o");
  EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().str());
  return bytes ? bytes.take() : std::vector<uint8_t>{};
}

// Three loaders: the kernel-check one and two loader-check variants whose
// layouts differ in one offset only (as 6.18.15's and 7.3's struct bpf_map).
SealInput sampleInput(std::string program_section = "raw_tp/sys_enter") {
  Manifest m;
  m.object_name = "core_minimal";
  m.license = "GPL";
  m.tool_version = "test";
  m.programs.push_back({"count_enter", program_section, "raw_tracepoint", "", "x.c:15", ""});
  m.maps.push_back({"hits", "array", 4, 8, 1, 0, false});
  LoaderInfo kc{"kernel-check", LoaderKind::KernelCheck, {}, "7.3+"};
  LoaderInfo lc{"lc-host", LoaderKind::LoaderCheck, {32, 288, 64, 68, 72, 76}, "6.18.44"};
  LoaderInfo lc2{"lc-other", LoaderKind::LoaderCheck, {32, 280, 64, 68, 72, 76}, "6.18.15"};
  m.loaders = {kc, lc, lc2};
  m.units_json = R"([{"source":"x.c"}])";
  SealInput in;
  in.blob.assign(200, 0xab);
  // The loader body: r0 = 0; exit.
  in.loader_body = {0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0};
  in.manifest = m;
  return in;
}

std::vector<uint8_t> writeSample(const SealInput &in) {
  auto file = writeSealed(baseElf(), in);
  EXPECT_TRUE(file) << (file ? "" : file.error().str());
  return file ? file.take() : std::vector<uint8_t>{};
}

using bpfseal::test::sectionRange;

// The first failing verdict's error, or "" when everything verified.
std::string verifyFile(std::span<const uint8_t> file, const TrustStore &t) {
  auto sealed = readSealed(file);
  if (!sealed)
    return "readSealed: " + sealed.error().str();
  std::vector<LoaderVerdict> verdicts;
  Status st = verifySealed(*sealed, t, verdicts);
  return st ? std::string() : st.error().str();
}

std::map<std::string, std::vector<uint8_t>> signaturesOf(std::span<const uint8_t> file) {
  std::map<std::string, std::vector<uint8_t>> out;
  auto sealed = readSealed(file);
  EXPECT_TRUE(sealed);
  for (const auto &l : sealed->loaders)
    out[l.info.name] = l.signature;
  return out;
}

} // namespace

TEST(SigningSealed, SignThenVerifyEveryLoader) {
  std::vector<uint8_t> file = writeSample(sampleInput());
  auto key = loadKey(0);
  ASSERT_TRUE(key);

  EXPECT_NE(verifyFile(file, trust(0)).find("unsigned"), std::string::npos);

  auto signed_file = signSealedFile(file, *key);
  ASSERT_TRUE(signed_file) << signed_file.error().str();
  auto sealed = readSealed(*signed_file);
  ASSERT_TRUE(sealed);
  std::vector<LoaderVerdict> verdicts;
  Status st = verifySealed(*sealed, trust(0), verdicts);
  ASSERT_TRUE(st) << st.error().str();
  ASSERT_EQ(verdicts.size(), 3u);
  for (const auto &v : verdicts) {
    EXPECT_TRUE(v.ok) << v.loader;
    EXPECT_EQ(v.signer.key_id_hex, key->keyIdHex());
    EXPECT_EQ(v.signer.subject, "CN=sealed test 0");
  }
  EXPECT_EQ(verdicts[0].payload_size, sealed->loaders[0].insns.size() + sealed->metadata.size());
  EXPECT_EQ(verdicts[1].payload_size, sealed->loaders[1].insns.size());

  // Each signature verifies over exactly its own payload.
  for (const auto &l : sealed->loaders)
    EXPECT_TRUE(verifyDetached(trust(0), signedPayload(*sealed, l), l.signature)) << l.info.name;
  EXPECT_FALSE(verifyDetached(trust(0), signedPayload(*sealed, sealed->loaders[0]),
                              sealed->loaders[1].signature));

  EXPECT_NE(verifyFile(*signed_file, trust(1)).find("no trusted certificate"), std::string::npos);
}

TEST(SigningSealed, ResignWithAnotherKeyChangesOnlySignatures) {
  std::vector<uint8_t> file = writeSample(sampleInput());
  auto first = signSealedFile(file, *loadKey(0));
  ASSERT_TRUE(first);
  auto second = signSealedFile(*first, *loadKey(1));
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_EQ(verifyFile(*second, trust(1)), "");
  EXPECT_NE(verifyFile(*second, trust(0)), "");

  auto a = readSealed(*first), b = readSealed(*second);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->metadata, b->metadata);
  EXPECT_EQ(serializeManifest(a->manifest), serializeManifest(b->manifest));
  for (size_t i = 0; i < a->loaders.size(); ++i) {
    EXPECT_EQ(a->loaders[i].insns, b->loaders[i].insns);
    EXPECT_NE(a->loaders[i].signature, b->loaders[i].signature);
  }
  // Stripping the signatures of both gives the identical unsigned file.
  std::map<std::string, std::vector<uint8_t>> none = {{"kernel-check", {}},
                                                      {"lc-host", {}},
                                                      {"lc-other", {}}};
  auto a0 = replaceSignatures(*first, none), b0 = replaceSignatures(*second, none);
  ASSERT_TRUE(a0 && b0);
  EXPECT_EQ(*a0, *b0);
  EXPECT_EQ(*a0, file);
}

TEST(SigningSealed, ConsistentlyRewrittenObjectsFailTheSignature) {
  // An attacker without the key re-seals a changed object (every digest, the
  // index and the prologues consistent) and carries the old signatures over.
  auto key = loadKey(0);
  SealInput original = sampleInput();
  auto signed_file = signSealedFile(writeSample(original), *key);
  ASSERT_TRUE(signed_file);
  auto sigs = signaturesOf(*signed_file);

  auto withOldSignatures = [&](const SealInput &in) {
    auto out = replaceSignatures(writeSample(in), sigs);
    EXPECT_TRUE(out);
    return out ? out.take() : std::vector<uint8_t>{};
  };
  auto everyLoaderFails = [&](const std::vector<uint8_t> &file, const char *what) {
    auto sealed = readSealed(file);
    ASSERT_TRUE(sealed) << what << ": " << sealed.error().str();
    std::vector<LoaderVerdict> verdicts;
    EXPECT_FALSE(verifySealed(*sealed, trust(0), verdicts)) << what;
    ASSERT_EQ(verdicts.size(), 3u) << what;
    for (const LoaderVerdict &v : verdicts) {
      EXPECT_FALSE(v.ok) << what << ": loader " << v.loader << " still verifies";
      EXPECT_NE(v.error.msg.find(v.loader), std::string::npos) << v.error.str();
    }
  };

  SealInput body_changed = original;
  body_changed.loader_body[4] ^= 1;
  everyLoaderFails(withOldSignatures(body_changed), "loader body changed");

  // The attach point of the program: in the manifest, so in the metadata,
  // whose hash every prologue embeds.
  SealInput manifest_changed = sampleInput("raw_tp/sys_exit");
  everyLoaderFails(withOldSignatures(manifest_changed), "manifest changed");

  SealInput blob_changed = original;
  blob_changed.blob[17] ^= 0x40;
  everyLoaderFails(withOldSignatures(blob_changed), "metadata blob changed");

  SealInput layout_changed = original;
  layout_changed.manifest.loaders[1].layout.excl_prog_sha_off = 296;
  everyLoaderFails(withOldSignatures(layout_changed), "declared layout changed");

  // Signatures swapped between loaders.
  auto swapped = replaceSignatures(*signed_file, {{"kernel-check", sigs["lc-host"]},
                                                  {"lc-host", sigs["kernel-check"]}});
  ASSERT_TRUE(swapped);
  EXPECT_NE(verifyFile(*swapped, trust(0)), "");

  // One signature removed.
  auto stripped = replaceSignatures(*signed_file, {{"lc-host", {}}});
  ASSERT_TRUE(stripped);
  std::string err = verifyFile(*stripped, trust(0));
  EXPECT_NE(err.find("'lc-host' is unsigned"), std::string::npos) << err;
}

// Issue 8.2: relabelling. Two loader-check variants that differ only in the
// layout they were built for swap instructions and signatures in the file
// (same sizes, so offsets and index stay valid): each signature still
// matches its instructions, but neither is the prologue for the layout the
// signed manifest declares under its name.
TEST(SigningSealed, RelabelledLoaderVariantsAreRejected) {
  auto signed_file = signSealedFile(writeSample(sampleInput()), *loadKey(0));
  ASSERT_TRUE(signed_file);
  std::vector<uint8_t> file = *signed_file;
  for (const char *what : {".bpfseal.loader.", ".bpfseal.sig."}) {
    auto [a_off, a_size] = sectionRange(file, std::string(what) + "lc-host");
    auto [b_off, b_size] = sectionRange(file, std::string(what) + "lc-other");
    ASSERT_EQ(a_size, b_size);
    ASSERT_GT(a_size, 0u);
    std::swap_ranges(file.begin() + a_off, file.begin() + a_off + a_size, file.begin() + b_off);
  }
  auto sealed = readSealed(file);
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().err, EKEYREJECTED);
  EXPECT_NE(sealed.error().msg.find("is not bpfseal's loader-check loader for its layout"),
            std::string::npos)
      << sealed.error().str();
}

// Issue 8.3: a loader-check loader without the hash and exclusivity checks
// (its prologue replaced by no-ops of the same size), signed by the real key:
// sign and verify refuse it, because only the sealer's own prologue counts.
TEST(SigningSealed, LoaderWithoutTheChecksIsRefusedEvenWhenSigned) {
  std::vector<uint8_t> file = writeSample(sampleInput());
  auto [off, size] = sectionRange(file, ".bpfseal.loader.lc-host");
  ASSERT_GT(size, 16u);
  for (size_t i = off; i + 16 < off + size; i += 8) { // all but the body: ja +0
    const uint8_t ja0[8] = {0x05, 0, 0, 0, 0, 0, 0, 0};
    std::copy(std::begin(ja0), std::end(ja0), file.begin() + i);
  }
  auto sealed = readSealed(file);
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().err, EKEYREJECTED);
  EXPECT_NE(sealed.error().msg.find("lc-host"), std::string::npos) << sealed.error().str();
  auto signed_file = signSealedFile(file, *loadKey(0));
  ASSERT_FALSE(signed_file) << "sign must refuse a loader bpfseal did not generate";
  EXPECT_EQ(signed_file.error().err, EKEYREJECTED);
}

TEST(SigningSealed, FlippingAnyByteOfASignatureIsRejected) {
  auto signed_file = signSealedFile(writeSample(sampleInput()), *loadKey(0));
  ASSERT_TRUE(signed_file);
  auto sigs = signaturesOf(*signed_file);
  const std::vector<uint8_t> &sig = sigs["kernel-check"];
  auto sealed = readSealed(*signed_file);
  ASSERT_TRUE(sealed);
  std::vector<uint8_t> payload = signedPayload(*sealed, sealed->loaders[0]);
  TrustStore t = trust(0);
  size_t accepted = 0;
  for (size_t i = 0; i < sig.size(); ++i) {
    std::vector<uint8_t> bad = sig;
    bad[i] ^= 0x01;
    if (verifyDetached(t, payload, bad))
      ++accepted;
  }
  // The key id is matched exactly, the digest algorithm is checked, the RSA
  // value is checked: no flipped bit leaves a valid signature by this key.
  EXPECT_EQ(accepted, 0u);
}

// Issue 8.1, the whole-file sweep on a signed object: flipping any bit of
// the file is refused by the reader or fails the signature of a loader; a
// flip inside a signature fails that loader's check. No copy verifies.
TEST(SigningSealed, FlippingAnyByteOfTheSignedFileFailsVerification) {
  auto signed_file = signSealedFile(writeSample(sampleInput()), *loadKey(0));
  ASSERT_TRUE(signed_file);
  TrustStore t = trust(0);
  size_t verified = 0, by_reader = 0, by_signature = 0;
  std::string first;
  for (size_t i = 0; i < signed_file->size(); ++i) {
    std::vector<uint8_t> copy = *signed_file;
    copy[i] ^= 0x01;
    auto sealed = readSealed(copy);
    if (!sealed) {
      ++by_reader;
      continue;
    }
    std::vector<LoaderVerdict> verdicts;
    bool all_ok = bool(verifySealed(*sealed, t, verdicts));
    size_t bad = std::count_if(verdicts.begin(), verdicts.end(),
                               [](const LoaderVerdict &v) { return !v.ok; });
    if (all_ok || bad == 0) {
      if (!verified++)
        first = std::to_string(i);
    } else {
      ++by_signature;
    }
  }
  EXPECT_EQ(verified, 0u) << "first verifying flip at byte " << first;
  EXPECT_EQ(by_reader + by_signature, signed_file->size());
  // Signature bytes reach the signature check; everything else the reader.
  EXPECT_GT(by_signature, 3 * 200u);
  EXPECT_GT(by_reader, signed_file->size() / 2);
}

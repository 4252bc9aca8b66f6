// Signing whole sealed objects (built with format::writeSealed around a real
// BPF ELF, so these run without the sealer): sign, verify, re-sign, and every
// kind of tampering the signatures must catch.
#include "bpfseal/format.h"
#include "bpfseal/signing.h"

#include <gtest/gtest.h>

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
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "bpfseal-sealed-XXXXXX").string();
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

void putInsn(std::vector<uint8_t> &out, uint8_t code, uint8_t regs, int16_t off, uint32_t imm) {
  uint8_t insn[8] = {code, regs};
  std::memcpy(insn + 2, &off, 2);
  std::memcpy(insn + 4, &imm, 4);
  out.insert(out.end(), insn, insn + 8);
}

// Loader-check instructions that carry `sha` the way a prologue compares it:
// four ld_imm64 (two halves each) interleaved with other instructions.
std::vector<uint8_t> loaderCheckInsns(const Sha256 &sha) {
  std::vector<uint8_t> insns;
  putInsn(insns, 0xb7, 0x00, 0, 0); // r0 = 0
  for (int q = 0; q < 4; ++q) {
    uint32_t lo, hi;
    std::memcpy(&lo, sha.data() + q * 8, 4);
    std::memcpy(&hi, sha.data() + q * 8 + 4, 4);
    putInsn(insns, 0x18, 0x03, 0, lo); // ld_imm64 r3
    putInsn(insns, 0x00, 0x00, 0, hi);
    putInsn(insns, 0x5d, 0x32, 40, 0); // if r2 != r3 goto fail
  }
  putInsn(insns, 0x95, 0x00, 0, 0); // exit
  return insns;
}

SealedObject sampleSealed(std::string program_section = "raw_tp/sys_enter") {
  Manifest m;
  m.object_name = "core_minimal";
  m.license = "GPL";
  m.tool_version = "test";
  m.programs.push_back({"count_enter", program_section, "raw_tracepoint", "", "x.c:15", ""});
  m.maps.push_back({"hits", "array", 4, 8, 1, 0, false});
  LoaderInfo kc{"kernel-check", LoaderKind::KernelCheck, {}, "7.3+"};
  LoaderInfo lc{"lc-host", LoaderKind::LoaderCheck, {32, 288, 64, 68, 72, 76}, "6.18.44"};
  m.loaders = {kc, lc};
  m.units_json = R"([{"source":"x.c"}])";
  SealedObject s;
  s.metadata = buildMetadata(std::vector<uint8_t>(200, 0xab), m);
  s.manifest = m;
  s.metadata_sha256 = sha256(s.metadata);
  std::vector<uint8_t> kc_insns;
  putInsn(kc_insns, 0xb7, 0x00, 0, 0);
  putInsn(kc_insns, 0x95, 0x00, 0, 0);
  s.loaders.push_back({kc, kc_insns, {}});
  s.loaders.push_back({lc, loaderCheckInsns(s.metadata_sha256), {}});
  return s;
}

std::vector<uint8_t> writeSample(const SealedObject &s) {
  auto file = writeSealed(baseElf(), s);
  EXPECT_TRUE(file) << (file ? "" : file.error().str());
  return file ? file.take() : std::vector<uint8_t>{};
}

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
  std::vector<uint8_t> file = writeSample(sampleSealed());
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
  ASSERT_EQ(verdicts.size(), 2u);
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
  std::vector<uint8_t> file = writeSample(sampleSealed());
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
  std::map<std::string, std::vector<uint8_t>> none = {{"kernel-check", {}}, {"lc-host", {}}};
  auto a0 = replaceSignatures(*first, none), b0 = replaceSignatures(*second, none);
  ASSERT_TRUE(a0 && b0);
  EXPECT_EQ(*a0, *b0);
  EXPECT_EQ(*a0, file);
}

TEST(SigningSealed, ConsistentlyRewrittenObjectsFailTheSignature) {
  // An attacker who rewrites a section and fixes up the index still cannot
  // produce the signature: build such objects and carry the old signatures over.
  auto key = loadKey(0);
  SealedObject original = sampleSealed();
  auto signed_file = signSealedFile(writeSample(original), *key);
  ASSERT_TRUE(signed_file);
  auto sigs = signaturesOf(*signed_file);

  auto withOldSignatures = [&](SealedObject s) {
    auto file = writeSample(s);
    auto out = replaceSignatures(file, sigs);
    EXPECT_TRUE(out);
    return out ? out.take() : std::vector<uint8_t>{};
  };

  // Loader-check instructions changed (one immediate of the exit path).
  SealedObject lc_changed = original;
  lc_changed.loaders[1].insns[0 + 4] ^= 1;
  std::string err = verifyFile(withOldSignatures(lc_changed), trust(0));
  EXPECT_NE(err.find("lc-host"), std::string::npos) << err;
  EXPECT_NE(err.find("EKEYREJECTED"), std::string::npos) << err;

  // Kernel-check instructions changed.
  SealedObject kc_changed = original;
  kc_changed.loaders[0].insns[4] ^= 1;
  err = verifyFile(withOldSignatures(kc_changed), trust(0));
  EXPECT_NE(err.find("kernel-check"), std::string::npos) << err;

  // Manifest changed (attach point of the program): the kernel-check
  // signature covers it; the loader-check variant is bound by its embedded
  // metadata hash, which no longer matches.
  SealedObject manifest_changed = sampleSealed("raw_tp/sys_exit");
  manifest_changed.loaders = original.loaders;
  err = verifyFile(withOldSignatures(manifest_changed), trust(0));
  EXPECT_NE(err.find("kernel-check"), std::string::npos) << err;
  {
    auto sealed = readSealed(withOldSignatures(manifest_changed));
    ASSERT_TRUE(sealed);
    std::vector<LoaderVerdict> verdicts;
    EXPECT_FALSE(verifySealed(*sealed, trust(0), verdicts));
    ASSERT_EQ(verdicts.size(), 2u);
    EXPECT_FALSE(verdicts[0].ok);
    EXPECT_FALSE(verdicts[1].ok);
    EXPECT_NE(verdicts[1].error.msg.find("does not embed"), std::string::npos)
        << verdicts[1].error.str();
  }

  // Metadata blob changed.
  SealedObject blob_changed = original;
  auto view = splitMetadata(original.metadata);
  ASSERT_TRUE(view);
  std::vector<uint8_t> blob(view->blob.begin(), view->blob.end());
  blob[17] ^= 0x40;
  blob_changed.metadata = buildMetadata(blob, original.manifest);
  blob_changed.metadata_sha256 = sha256(blob_changed.metadata);
  err = verifyFile(withOldSignatures(blob_changed), trust(0));
  EXPECT_NE(err, "");

  // A loader-check variant re-built for the new metadata is a different
  // instruction stream: its old signature fails.
  SealedObject rebuilt = blob_changed;
  rebuilt.loaders[1].insns = loaderCheckInsns(rebuilt.metadata_sha256);
  {
    auto sealed = readSealed(withOldSignatures(rebuilt));
    ASSERT_TRUE(sealed);
    std::vector<LoaderVerdict> verdicts;
    EXPECT_FALSE(verifySealed(*sealed, trust(0), verdicts));
    ASSERT_EQ(verdicts.size(), 2u);
    EXPECT_FALSE(verdicts[1].ok);
    EXPECT_EQ(verdicts[1].error.err, EKEYREJECTED);
  }

  // Signatures swapped between loaders.
  auto swapped = replaceSignatures(
      *signed_file, {{"kernel-check", sigs["lc-host"]}, {"lc-host", sigs["kernel-check"]}});
  ASSERT_TRUE(swapped);
  EXPECT_NE(verifyFile(*swapped, trust(0)), "");

  // One signature removed.
  auto stripped = replaceSignatures(*signed_file, {{"lc-host", {}}});
  ASSERT_TRUE(stripped);
  err = verifyFile(*stripped, trust(0));
  EXPECT_NE(err.find("'lc-host' is unsigned"), std::string::npos) << err;
}

TEST(SigningSealed, FlippingAnyByteOfASignatureIsRejected) {
  auto signed_file = signSealedFile(writeSample(sampleSealed()), *loadKey(0));
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

TEST(SigningSealed, LoaderCheckWithoutTheMetadataHashIsRejected) {
  SealedObject s = sampleSealed();
  std::vector<uint8_t> plain;
  putInsn(plain, 0xb7, 0x00, 0, 0);
  putInsn(plain, 0x95, 0x00, 0, 0);
  s.loaders[1].insns = plain;
  auto signed_file = signSealedFile(writeSample(s), *loadKey(0));
  ASSERT_TRUE(signed_file);
  std::string err = verifyFile(*signed_file, trust(0));
  EXPECT_NE(err.find("lc-host"), std::string::npos) << err;
  EXPECT_NE(err.find("does not embed"), std::string::npos) << err;
}

TEST(SigningSealed, EveryByteOfEverySignedSectionIsCovered) {
  // An attacker who can rewrite the file (and so the unsigned index) flips one
  // byte of the metadata or of a loader; the old signatures are carried over.
  // Every such copy must fail verification for every loader the byte feeds.
  SealedObject original = sampleSealed();
  auto signed_file = signSealedFile(writeSample(original), *loadKey(0));
  ASSERT_TRUE(signed_file);
  auto sigs = signaturesOf(*signed_file);
  TrustStore t = trust(0);
  std::vector<uint8_t> base = baseElf();

  size_t rejected_by_reader = 0;
  auto verdictsFor = [&](const SealedObject &s) {
    std::vector<LoaderVerdict> verdicts;
    // writeSealed and replaceSignatures both parse the metadata: a flip that
    // breaks its trailer, the manifest JSON or the manifest's agreement with
    // the index is rejected there, as readSealed would reject such a file.
    auto file = writeSealed(base, s);
    auto with_sigs = file ? replaceSignatures(*file, sigs) : file;
    if (!with_sigs) {
      ++rejected_by_reader;
      return verdicts;
    }
    auto sealed = readSealed(*with_sigs);
    EXPECT_TRUE(sealed);
    if (!sealed)
      return verdicts;
    (void)verifySealed(*sealed, t, verdicts);
    return verdicts;
  };

  size_t checked = 0;
  for (size_t i = 0; i < original.metadata.size(); ++i) {
    size_t rejected_before = rejected_by_reader;
    SealedObject s = original;
    s.metadata[i] ^= 0x01;
    s.metadata_sha256 = sha256(s.metadata);
    auto view = splitMetadata(s.metadata);
    if (view) {
      auto m = parseManifest(view->manifest_json);
      if (m)
        s.manifest = *m; // keep index and manifest consistent, as an attacker would
    }
    auto verdicts = verdictsFor(s);
    if (rejected_by_reader == rejected_before) {
      EXPECT_EQ(verdicts.size(), original.loaders.size()) << "metadata byte " << i;
    }
    for (const auto &v : verdicts)
      EXPECT_FALSE(v.ok) << "metadata byte " << i << " accepted by " << v.loader;
    ++checked;
  }
  for (size_t l = 0; l < original.loaders.size(); ++l)
    for (size_t i = 0; i < original.loaders[l].insns.size(); ++i) {
      SealedObject s = original;
      s.loaders[l].insns[i] ^= 0x01;
      auto verdicts = verdictsFor(s);
      ASSERT_EQ(verdicts.size(), original.loaders.size());
      EXPECT_FALSE(verdicts[l].ok) << "loader " << l << " byte " << i << " accepted";
      ++checked;
    }
  EXPECT_GT(checked, original.metadata.size());
  // At least every blob flip parses fine and so reached the signature checks
  // (manifest flips often break the JSON or its agreement with the index).
  EXPECT_GE(original.metadata.size() - rejected_by_reader, 200u);
}

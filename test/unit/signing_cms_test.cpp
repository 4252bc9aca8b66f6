// bpfseal_signing on plain byte buffers: keygen, key loading, the exact CMS
// form, and that verification fails for every wrong input.
#include "bpfseal/signing.h"

#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace bpfseal;
using namespace bpfseal::signing;

namespace {

class TempDir {
public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bpfseal-sign-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

void writeText(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct KeyFiles {
  std::string key, cert;
  KeyMaterial material;
};

// Key generation is the slow part (~100 ms for RSA-3072): make two keys once.
const KeyFiles &testKey(int which) {
  static TempDir dir;
  static KeyFiles keys[2];
  KeyFiles &k = keys[which];
  if (k.key.empty()) {
    KeygenOptions opts;
    opts.subject = which == 0 ? "CN=signing test A,O=bpfseal" : "/CN=signing test B";
    auto m = generateSigningKey(opts);
    EXPECT_TRUE(m) << (m ? "" : m.error().str());
    k.material = m.take();
    k.key = dir.file("key" + std::to_string(which) + ".pem");
    k.cert = dir.file("cert" + std::to_string(which) + ".pem");
    writeText(k.key, k.material.key_pem);
    writeText(k.cert, k.material.cert_pem);
  }
  return k;
}

std::unique_ptr<SigningKey> loadKey(int which) {
  auto key = loadSigningKey(testKey(which).key, testKey(which).cert);
  EXPECT_TRUE(key) << (key ? "" : key.error().str());
  return key ? key.take() : nullptr;
}

TrustStore trustOnly(int which) {
  auto t = loadTrustStore({testKey(which).cert}, "");
  EXPECT_TRUE(t) << (t ? "" : t.error().str());
  return t.take();
}

std::vector<uint8_t> bytesOf(const std::string &s) { return {s.begin(), s.end()}; }

} // namespace

TEST(SigningKeygen, CertificateHasTheExtensionsTheKernelNeeds) {
  const KeyFiles &k = testKey(0);
  const unsigned char *p = k.material.cert_der.data();
  X509 *cert = d2i_X509(nullptr, &p, static_cast<long>(k.material.cert_der.size()));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  // Self-signed: issuer == subject, and the signature verifies with its own key.
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
  EXPECT_EQ(X509_verify(cert, X509_get0_pubkey(cert)), 1);
  ASSERT_NE(X509_get0_subject_key_id(cert), nullptr);
  ASSERT_NE(X509_get0_authority_key_id(cert), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(cert), X509_get0_authority_key_id(cert)),
            0);
  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_TRUE(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE);
  EXPECT_TRUE(X509_get_extended_key_usage(cert) & XKU_CODE_SIGN);
  EVP_PKEY *pub = X509_get0_pubkey(cert);
  EXPECT_EQ(EVP_PKEY_get_base_id(pub), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(pub), 3072);
  EXPECT_EQ(k.material.subject, "CN=signing test A, O=bpfseal");
  EXPECT_EQ(k.material.key_id_hex.size(), 40u);
  X509_free(cert);
  EXPECT_EQ(k.material.key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
}

TEST(SigningKeygen, RejectsBadOptions) {
  KeygenOptions bad_subject;
  bad_subject.subject = "CN";
  auto r = generateSigningKey(bad_subject);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, EINVAL);
  KeygenOptions small;
  small.bits = 1024;
  EXPECT_FALSE(generateSigningKey(small));
  KeygenOptions no_days;
  no_days.days = 0;
  EXPECT_FALSE(generateSigningKey(no_days));
}

TEST(SigningCms, SignatureHasBpftoolsForm) {
  auto key = loadKey(0);
  ASSERT_TRUE(key);
  std::vector<uint8_t> data = bytesOf("loader insns || metadata");
  auto sig = signDetached(*key, data);
  ASSERT_TRUE(sig) << sig.error().str();
  EXPECT_LE(sig->size(), format::kMaxSignatureSize);
  // RSA-3072 without certs and attributes: the signature value (384 bytes)
  // plus a little ASN.1.
  EXPECT_LT(sig->size(), 600u);

  const unsigned char *p = sig->data();
  CMS_ContentInfo *cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(sig->size()));
  ASSERT_NE(cms, nullptr);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
  ASN1_OCTET_STRING **content = CMS_get0_content(cms);
  EXPECT_TRUE(!content || !*content) << "must be detached";
  STACK_OF(X509) *certs = CMS_get1_certs(cms);
  EXPECT_EQ(certs, nullptr) << "must carry no certificates";
  sk_X509_pop_free(certs, X509_free);
  STACK_OF(CMS_SignerInfo) *signers = CMS_get0_SignerInfos(cms);
  ASSERT_EQ(sk_CMS_SignerInfo_num(signers), 1);
  CMS_SignerInfo *si = sk_CMS_SignerInfo_value(signers, 0);
  EXPECT_EQ(CMS_signed_get_attr_count(si), -1) << "must carry no signed attributes";
  ASN1_OCTET_STRING *keyid = nullptr;
  X509_NAME *issuer = nullptr;
  ASN1_INTEGER *serial = nullptr;
  ASSERT_EQ(CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial), 1);
  ASSERT_NE(keyid, nullptr) << "signer must be named by subjectKeyIdentifier";
  EXPECT_EQ(issuer, nullptr);
  CMS_ContentInfo_free(cms);

  auto described = describeSignature(*sig);
  ASSERT_TRUE(described) << described.error().str();
  EXPECT_EQ(described->key_id_hex, key->keyIdHex());
  EXPECT_EQ(described->digest, "sha256");
  EXPECT_TRUE(described->subject.empty()); // no cert in the message
  auto named = describeSignature(*sig, trustOnly(0));
  ASSERT_TRUE(named);
  EXPECT_EQ(named->subject, "CN=signing test A, O=bpfseal");
  EXPECT_FALSE(named->verified);
}

TEST(SigningCms, VerifyAcceptsTheRightDataAndKeyOnly) {
  auto key = loadKey(0);
  ASSERT_TRUE(key);
  std::vector<uint8_t> data(5000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 7 + 3);
  auto sig = signDetached(*key, data);
  ASSERT_TRUE(sig);

  auto good = verifyDetached(trustOnly(0), data, *sig);
  ASSERT_TRUE(good) << good.error().str();
  EXPECT_TRUE(good->verified);
  EXPECT_EQ(good->trust, "pinned");
  EXPECT_EQ(good->key_id_hex, key->keyIdHex());
  EXPECT_FALSE(good->serial_hex.empty());

  // Both certificates trusted: still found by key id.
  auto both = loadTrustStore({testKey(1).cert, testKey(0).cert}, "");
  ASSERT_TRUE(both);
  EXPECT_TRUE(verifyDetached(*both, data, *sig));

  std::vector<uint8_t> tampered = data;
  tampered[4321] ^= 1;
  auto bad_data = verifyDetached(trustOnly(0), tampered, *sig);
  ASSERT_FALSE(bad_data);
  EXPECT_EQ(bad_data.error().err, EKEYREJECTED);

  std::vector<uint8_t> shorter(data.begin(), data.end() - 1);
  EXPECT_FALSE(verifyDetached(trustOnly(0), shorter, *sig));

  auto wrong_cert = verifyDetached(trustOnly(1), data, *sig);
  ASSERT_FALSE(wrong_cert);
  EXPECT_EQ(wrong_cert.error().err, ENOKEY);
  EXPECT_NE(wrong_cert.error().msg.find(key->keyIdHex()), std::string::npos);

  // Flip the last byte: inside the RSA signature value.
  std::vector<uint8_t> bad_sig = *sig;
  bad_sig.back() ^= 0x80;
  auto flipped = verifyDetached(trustOnly(0), data, bad_sig);
  ASSERT_FALSE(flipped);
  EXPECT_EQ(flipped.error().err, EKEYREJECTED);

  std::vector<uint8_t> truncated(sig->begin(), sig->begin() + sig->size() / 2);
  auto trunc = verifyDetached(trustOnly(0), data, truncated);
  ASSERT_FALSE(trunc);
  EXPECT_EQ(trunc.error().err, EBADMSG);

  auto empty = verifyDetached(trustOnly(0), data, {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().err, ENODATA);

  std::vector<uint8_t> huge(format::kMaxSignatureSize + 1, 0x30);
  auto too_big = verifyDetached(trustOnly(0), data, huge);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().err, E2BIG);

  std::vector<uint8_t> trailing = *sig;
  trailing.push_back(0);
  EXPECT_FALSE(checkSignatureShape(trailing));
  EXPECT_TRUE(checkSignatureShape(*sig));
}

TEST(SigningCms, EmptyAndLargePayloadsSign) {
  auto key = loadKey(1);
  ASSERT_TRUE(key);
  for (size_t size : {size_t(0), size_t(1), size_t(1) << 20}) {
    std::vector<uint8_t> data(size, 0x42);
    auto sig = signDetached(*key, data);
    ASSERT_TRUE(sig) << size << ": " << sig.error().str();
    EXPECT_TRUE(verifyDetached(trustOnly(1), data, *sig)) << size;
  }
}

TEST(SigningKeys, EncryptedPemNeedsItsPassphrase) {
  TempDir dir;
  const KeyFiles &k = testKey(0);
  // Re-encrypt the test key with AES-256 under a passphrase.
  BIO *in = BIO_new_mem_buf(k.material.key_pem.data(), static_cast<int>(k.material.key_pem.size()));
  EVP_PKEY *pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  ASSERT_NE(pkey, nullptr);
  std::string enc_path = dir.file("enc.pem");
  BIO *out = BIO_new_file(enc_path.c_str(), "wb");
  static char pass[] = "correct horse";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out, pkey, EVP_aes_256_cbc(), nullptr, 0, nullptr, pass),
            1);
  BIO_free(out);
  EVP_PKEY_free(pkey);

  auto no_pass = loadSigningKey(enc_path, k.cert);
  ASSERT_FALSE(no_pass);
  EXPECT_EQ(no_pass.error().err, EACCES);
  EXPECT_NE(no_pass.error().hint.find("--pass"), std::string::npos);

  KeyOptions wrong;
  wrong.pass = "pass:wrong horse";
  EXPECT_FALSE(loadSigningKey(enc_path, k.cert, wrong));

  ::setenv("BPFSEAL_TEST_PASS", pass, 1);
  KeyOptions env;
  env.pass = "env:BPFSEAL_TEST_PASS";
  auto from_env = loadSigningKey(enc_path, k.cert, env);
  ASSERT_TRUE(from_env) << from_env.error().str();
  EXPECT_EQ(from_env->get()->backend(), "pem");
  ::unsetenv("BPFSEAL_TEST_PASS");
  KeyOptions unset;
  unset.pass = "env:BPFSEAL_TEST_PASS";
  EXPECT_FALSE(loadSigningKey(enc_path, k.cert, unset));

  writeText(dir.file("pass.txt"), std::string(pass) + "\n");
  KeyOptions file;
  file.pass = "file:" + dir.file("pass.txt");
  auto from_file = loadSigningKey(enc_path, k.cert, file);
  ASSERT_TRUE(from_file) << from_file.error().str();
  auto sig = signDetached(**from_file, bytesOf("x"));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(verifyDetached(trustOnly(0), bytesOf("x"), *sig));
}

TEST(SigningKeys, MismatchesAndMissingFilesAreClearErrors) {
  auto mismatch = loadSigningKey(testKey(0).key, testKey(1).cert);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().err, EKEYREJECTED);

  auto missing = loadSigningKey("/nonexistent/key.pem", testKey(0).cert);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().msg.find("/nonexistent/key.pem"), std::string::npos);

  EXPECT_FALSE(loadSigningKey(testKey(0).key, "/nonexistent/cert.pem"));
  // A certificate where the key should be.
  EXPECT_FALSE(loadSigningKey(testKey(0).cert, testKey(0).cert));
  EXPECT_FALSE(loadTrustStore({}, ""));
  EXPECT_FALSE(loadTrustStore({testKey(0).key}, ""));
  EXPECT_FALSE(loadTrustStore({}, "/nonexistent-dir"));
}

TEST(SigningKeys, CertificateWithoutKeyIdIsRefused) {
  // Signatures name the signer by key id, so a cert without SKID cannot sign.
  TempDir dir;
  const KeyFiles &k = testKey(0);
  BIO *in = BIO_new_mem_buf(k.material.key_pem.data(), static_cast<int>(k.material.key_pem.size()));
  EVP_PKEY *pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  X509 *cert = X509_new();
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char *>("no skid"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, pkey);
  ASSERT_GT(X509_sign(cert, pkey, EVP_sha256()), 0);
  std::string path = dir.file("noskid.pem");
  BIO *out = BIO_new_file(path.c_str(), "wb");
  PEM_write_bio_X509(out, cert);
  BIO_free(out);
  X509_free(cert);
  EVP_PKEY_free(pkey);
  auto r = loadSigningKey(k.key, path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().msg.find("subjectKeyIdentifier"), std::string::npos);
}

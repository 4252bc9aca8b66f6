// CMS signing and verification of sealed BPF objects.
//
// A signature is a detached DER CMS SignedData in upstream bpftool's form:
// SHA-256, no certificates, no signed attributes, signer identified by the
// certificate's subjectKeyIdentifier. That is the form the kernel's PKCS#7
// parser verifies against a key in a keyring (docs/KERNEL.md, "Signatures:
// CMS form, keyrings, errnos"), and the form `bpfseal verify` and
// libbpfseal's user-space mode check here.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace bpfseal::signing {

// Where the passphrase of an encrypted PEM key, or the PIN of a PKCS#11
// token when the URI carries none, comes from:
//   ""           none (an encrypted key is an error, never an interactive prompt)
//   "env:VAR"    the environment variable VAR
//   "file:PATH"  the first line of PATH
//   "pass:TEXT"  TEXT itself (tests only: it shows up in `ps`)
struct KeyOptions {
  std::string pass;
  // PKCS#11 module for "pkcs11:" keys loaded through the libp11 ENGINE;
  // empty: $PKCS11_MODULE_PATH, then the engine's own default (p11-kit).
  std::string pkcs11_module;
};

// A private key and its X.509 certificate, checked to belong together.
// Keeps the ENGINE that backs a PKCS#11 key alive as long as the key.
class SigningKey {
public:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  ~SigningKey();
  SigningKey(const SigningKey &) = delete;
  SigningKey &operator=(const SigningKey &) = delete;

  const Impl &impl() const { return *impl_; }
  std::string subject() const;    // "CN=..., O=..."
  std::string keyIdHex() const;   // subjectKeyIdentifier, lowercase hex
  std::string backend() const;    // "pem", "ossl-store", "pkcs11-engine"

private:
  std::unique_ptr<Impl> impl_;
};

// `key_spec` is a PEM (or DER) private key file or a "pkcs11:" RFC 7512 URI;
// `cert_path` a PEM or DER X.509 certificate with a subjectKeyIdentifier.
Result<std::unique_ptr<SigningKey>> loadSigningKey(const std::string &key_spec,
                                                   const std::string &cert_path);
Result<std::unique_ptr<SigningKey>> loadSigningKey(const std::string &key_spec,
                                                   const std::string &cert_path,
                                                   const KeyOptions &options);

// Detached DER CMS over `data` (bpftool's form; see the file comment).
// Fails rather than return a signature larger than format::kMaxSignatureSize.
Result<std::vector<uint8_t>> signDetached(const SigningKey &key, std::span<const uint8_t> data);

// What a signer certificate must say to be accepted (signing/README.md,
// "Trust"). Applied to the pinned certificate or to the CA-chained signer:
//  * keyUsage, when present, includes digitalSignature;
//  * extendedKeyUsage, when present, includes one of `ekus` (dotted OIDs;
//    default codeSigning, 1.3.6.1.5.5.7.3.3) or anyExtendedKeyUsage;
//  * CA chains: every certificate's validity dates (OpenSSL's chain check);
//  * pinned certificates: validity dates only with `check_pinned_dates`
//    (off by default: the kernel's keyring does not check them either).
struct TrustPolicy {
  std::vector<std::string> ekus;
  bool check_pinned_dates = false;
};

// Trusted certificates. Certificates given directly are trust anchors in
// themselves (pinned keys, like a key in a kernel keyring): a signature made
// by one of their keys is accepted without chain building. `ca_dir` holds
// only CA certificates (*.pem, *.crt, *.cer, *.der; basicConstraints CA:TRUE,
// anything else is an error, not an anchor); a signer certificate, carried in
// the CMS, must chain to one of them. Both obey `policy`.
class TrustStore {
public:
  struct Impl;
  TrustStore();
  explicit TrustStore(std::unique_ptr<Impl> impl);
  ~TrustStore();
  TrustStore(TrustStore &&) noexcept;
  TrustStore &operator=(TrustStore &&) noexcept;

  const Impl &impl() const { return *impl_; }
  size_t anchorCount() const;   // certificates given directly
  size_t caCount() const;       // certificates loaded from ca_dir

private:
  std::unique_ptr<Impl> impl_;
};
Result<TrustStore> loadTrustStore(const std::vector<std::string> &cert_files,
                                  const std::string &ca_dir);
Result<TrustStore> loadTrustStore(const std::vector<std::string> &cert_files,
                                  const std::string &ca_dir, const TrustPolicy &policy);

struct SignerInfo {
  std::string subject;     // empty when the signer's certificate is unknown
  std::string issuer;      // from the certificate, or the CMS issuerAndSerial
  std::string serial_hex;  // likewise
  std::string key_id_hex;  // subjectKeyIdentifier the CMS names (or the cert's)
  bool verified = false;   // true only from verifyDetached
  std::string digest;      // e.g. "sha256"
  std::string trust;       // how trust was established: "pinned", "ca-chain"
                     // (+ " (dates checked)" for pinned with check_pinned_dates)
};

// Checks that `der_cms` is a valid detached signature over `data` by a key
// the trust store accepts. Every failure names its cause (malformed CMS, no
// trusted signer, digest mismatch, ...).
Result<SignerInfo> verifyDetached(const TrustStore &trust, std::span<const uint8_t> data,
                                  std::span<const uint8_t> der_cms);

// Parses `der_cms` and reports who claims to have signed it; no trust
// decision, no digest check. `known_certs` (optional) resolves a key id to a
// subject when the CMS carries no certificate.
Result<SignerInfo> describeSignature(std::span<const uint8_t> der_cms);
Result<SignerInfo> describeSignature(std::span<const uint8_t> der_cms,
                                     const TrustStore &known_certs);

// Checks that `der_cms` is a parseable detached CMS SignedData within
// format::kMaxSignatureSize (for signatures produced elsewhere).
Status checkSignatureShape(std::span<const uint8_t> der_cms);

// Signs every loader of a sealed object over format::signedPayload and
// returns the file with only its signature sections replaced.
Result<std::vector<uint8_t>> signSealedFile(std::span<const uint8_t> sealed_file,
                                            const SigningKey &key);

// One loader's verdict from verifySealed.
struct LoaderVerdict {
  std::string loader;
  format::LoaderKind kind = format::LoaderKind::KernelCheck;
  size_t payload_size = 0;
  bool ok = false;
  SignerInfo signer; // filled when the signature was parseable
  Error error; // set when !ok: names the loader and the cause
};

// Verifies one loader's signature of a sealed object that format::readSealed
// accepted: the check verifySealed makes for each loader. A load verifies only
// the loader it runs (or, on the libbpf path, kernel-check, whose signature
// covers the manifest): readSealed bound every other byte of the file to the
// metadata hash that loader's signed instructions or payload carry.
LoaderVerdict verifyLoader(const format::SealedObject &sealed, const format::LoaderImage &loader,
                           const TrustStore &trust);

// Verifies every loader's signature of a sealed object that format::readSealed
// accepted (so each loader is bpfseal's own prologue for its declared kind and
// layout, embedding the metadata hash, and every other byte of the file is
// bound to the manifest inside that metadata).
// `verdicts` gets one entry per loader; the Status is the first
// failure, or ok when every loader verified.
Status verifySealed(const format::SealedObject &sealed, const TrustStore &trust,
                    std::vector<LoaderVerdict> &verdicts);

// Key generation for `bpfseal keygen`: an RSA key and a self-signed X.509 v3
// certificate the kernel's asymmetric key type accepts (subjectKeyIdentifier,
// authorityKeyIdentifier, basicConstraints CA:FALSE, keyUsage
// digitalSignature, extendedKeyUsage codeSigning).
struct KeygenOptions {
  std::string subject = "CN=bpfseal signing key"; // "CN=a,O=b" or "/CN=a/O=b"
  unsigned days = 3650;
  unsigned bits = 3072;
};
struct KeyMaterial {
  std::string key_pem; // PKCS#8, unencrypted
  std::string cert_pem;
  std::vector<uint8_t> cert_der;
  std::string key_id_hex;
  std::string subject;
};
Result<KeyMaterial> generateSigningKey(const KeygenOptions &options);

} // namespace bpfseal::signing

// Detached CMS signatures: making them in bpftool's form, checking them
// against pinned certificates or a CA directory, and describing them.
#include "openssl_util.h"

#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace bpfseal::signing {

using namespace detail;

namespace {

// bpftool's flags (tools/bpf/bpftool/sign.c): no certificates in the message,
// no signed attributes (so the signature is over the data's digest itself),
// signer named by subjectKeyIdentifier, binary (no MIME canonicalisation).
constexpr unsigned kSignFlags = CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM;
constexpr unsigned kSignerFlags =
    CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_USE_KEYID | CMS_NOATTR;

CMS_SignerInfo *onlySigner(CMS_ContentInfo *cms) {
  return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
}

// Minimal DER reading for the fields OpenSSL parses but does not check and
// that no signature covers (without signed attributes only the content digest
// is signed). Checking them as the kernel's PKCS#7 parser does makes the
// encoding of a valid signature unique up to the RSA value itself.
struct Tlv {
  uint8_t tag = 0;
  std::span<const uint8_t> value;
  size_t total = 0;
};

std::optional<Tlv> readTlv(std::span<const uint8_t> in) {
  if (in.size() < 2)
    return std::nullopt;
  Tlv t;
  t.tag = in[0];
  size_t len = in[1], hdr = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 4 || in.size() < 2 + n)
      return std::nullopt;
    len = 0;
    for (size_t i = 0; i < n; ++i)
      len = (len << 8) | in[2 + i];
    hdr += n;
  }
  if (in.size() - hdr < len)
    return std::nullopt;
  t.value = in.subspan(hdr, len);
  t.total = hdr + len;
  return t;
}

std::vector<Tlv> children(std::span<const uint8_t> in) {
  std::vector<Tlv> out;
  while (!in.empty()) {
    auto t = readTlv(in);
    if (!t)
      return {};
    out.push_back(*t);
    in = in.subspan(t->total);
  }
  return out;
}

// SignedData and SignerInfo versions must match the signer identifier
// (RFC 5652 5.1/5.3; the kernel's pkcs7 parser enforces the same): 3 with a
// subjectKeyIdentifier, 1 with issuerAndSerialNumber.
Status checkVersions(std::span<const uint8_t> der) {
  auto bad = [](const char *what) {
    return makeError(EBADMSG, std::string("signature is not canonical CMS: ") + what);
  };
  auto ci = readTlv(der);
  if (!ci || ci->tag != 0x30)
    return bad("no ContentInfo");
  auto ci_parts = children(ci->value);
  if (ci_parts.size() != 2 || ci_parts[1].tag != 0xa0)
    return bad("no [0] content");
  auto sd = readTlv(ci_parts[1].value);
  if (!sd || sd->tag != 0x30)
    return bad("no SignedData");
  auto sd_parts = children(sd->value);
  if (sd_parts.size() < 4 || sd_parts[0].tag != 0x02 || sd_parts[0].value.size() != 1 ||
      sd_parts.back().tag != 0x31)
    return bad("SignedData layout");
  auto signers = children(sd_parts.back().value);
  if (signers.size() != 1 || signers[0].tag != 0x30)
    return bad("SignerInfos layout");
  auto si_parts = children(signers[0].value);
  if (si_parts.size() < 5 || si_parts[0].tag != 0x02 || si_parts[0].value.size() != 1)
    return bad("SignerInfo layout");
  uint8_t want = si_parts[1].tag == 0x80 ? 3 : si_parts[1].tag == 0x30 ? 1 : 0;
  if (want == 0)
    return bad("unknown signer identifier");
  if (si_parts[0].value[0] != want)
    return bad("SignerInfo version does not match its signer identifier");
  if (sd_parts[0].value[0] != want)
    return bad("SignedData version does not match its signer");
  // Parts no signature covers, which anyone could add to a signed object
  // without a key (bytes smuggled into a signature slot, a new file hash for
  // the same signed object): CRLs in SignedData, unsigned attributes in the
  // SignerInfo. bpfseal, bpftool and `openssl cms -sign` emit neither.
  for (const auto &part : sd_parts)
    if (part.tag == 0xa1)
      return bad("SignedData carries CRLs, which no signature covers");
  if (si_parts.back().tag == 0xa1)
    return bad("SignerInfo carries unsigned attributes, which no signature covers");
  return ok();
}

// Only the algorithms the kernel verifies BPF signatures with.
Status checkAlgorithms(CMS_ContentInfo *cms, CMS_SignerInfo *si) {
  if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data)
    return makeError(EBADMSG, "signature's content type is not id-data");
  X509_ALGOR *sig_alg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, nullptr, &sig_alg);
  const ASN1_OBJECT *oid = nullptr;
  int param_type = 0;
  const void *param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, sig_alg);
  int nid = OBJ_obj2nid(oid);
  bool rsa = nid == NID_rsaEncryption || nid == NID_sha256WithRSAEncryption ||
             nid == NID_sha384WithRSAEncryption || nid == NID_sha512WithRSAEncryption;
  bool ec =
      nid == NID_ecdsa_with_SHA256 || nid == NID_ecdsa_with_SHA384 || nid == NID_ecdsa_with_SHA512;
  if (!rsa && !ec)
    return makeError(EBADMSG, "signature algorithm is neither RSA nor ECDSA");
  if (rsa && param_type != V_ASN1_NULL && param_type != V_ASN1_UNDEF)
    return makeError(EBADMSG, "RSA signature algorithm has unexpected parameters");
  return ok();
}

Result<CmsPtr> parseCms(std::span<const uint8_t> der) {
  if (der.empty())
    return makeError(ENODATA, "signature is empty (unsigned)",
                     "sign the object with 'bpfseal sign --key K --cert C'");
  if (der.size() > format::kMaxSignatureSize)
    return makeError(E2BIG,
                     "signature is " + std::to_string(der.size()) + " bytes, above the " +
                         std::to_string(format::kMaxSignatureSize) + "-byte limit",
                     "sign without embedded certificates (-nocerts) and attributes (-noattr)");
  const unsigned char *p = der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms)
    return sslError(EBADMSG, "signature is not a DER CMS message");
  if (p != der.data() + der.size())
    return makeError(EBADMSG, "signature has " + std::to_string(der.data() + der.size() - p) +
                                  " trailing bytes after the DER CMS message");
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return makeError(EBADMSG, "signature is a CMS message but not SignedData");
  ASN1_OCTET_STRING **content = CMS_get0_content(cms.get());
  if (content && *content)
    return makeError(EBADMSG, "signature embeds its content; bpfseal needs a detached one",
                     "sign with 'openssl cms -sign -binary' without -nodetach");
  STACK_OF(CMS_SignerInfo) *signers = CMS_get0_SignerInfos(cms.get());
  int count = signers ? sk_CMS_SignerInfo_num(signers) : 0;
  if (count != 1)
    return makeError(EBADMSG, "signature has " + std::to_string(count) +
                                  " signers; bpfseal signatures carry exactly one");
  if (auto st = checkVersions(der); !st)
    return st.takeError();
  if (auto st = checkAlgorithms(cms.get(), onlySigner(cms.get())); !st)
    return st.takeError();
  ERR_clear_error();
  return cms;
}

void describeSignerId(CMS_SignerInfo *si, SignerInfo &out) {
  ASN1_OCTET_STRING *keyid = nullptr;
  X509_NAME *issuer = nullptr;
  ASN1_INTEGER *serial = nullptr;
  if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) == 1) {
    if (keyid)
      out.key_id_hex =
          hexOf(ASN1_STRING_get0_data(keyid), static_cast<size_t>(ASN1_STRING_length(keyid)));
    if (issuer)
      out.issuer = nameToString(issuer);
    if (serial)
      out.serial_hex = serialHex(serial);
  }
  X509_ALGOR *dig = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig, nullptr);
  if (dig) {
    const ASN1_OBJECT *oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, dig);
    int nid = OBJ_obj2nid(oid);
    out.digest = nid != NID_undef ? OBJ_nid2sn(nid) : "unknown";
    for (char &c : out.digest)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
}

void describeCert(X509 *cert, SignerInfo &out) {
  out.subject = nameToString(X509_get_subject_name(cert));
  out.issuer = nameToString(X509_get_issuer_name(cert));
  out.serial_hex = serialHex(X509_get0_serialNumber(cert));
  if (out.key_id_hex.empty())
    out.key_id_hex = certKeyIdHex(cert);
}

// Appends every certificate in `path` (PEM bundle or one DER cert).
Status readCertificates(const std::string &path, STACK_OF(X509) * out) {
  BioPtr in(BIO_new_file(path.c_str(), "rb"));
  if (!in)
    return makeError(errno ? errno : ENOENT, "cannot open certificate '" + path + "'");
  int added = 0;
  while (X509 *cert = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(out, cert);
    ++added;
  }
  ERR_clear_error();
  if (added == 0) {
    BIO_reset(in.get());
    if (X509 *cert = d2i_X509_bio(in.get(), nullptr)) {
      sk_X509_push(out, cert);
      ++added;
    }
  }
  if (added == 0)
    return sslError(EBADMSG, "'" + path + "' holds no PEM or DER X.509 certificate");
  ERR_clear_error();
  return ok();
}

// The signer certificate's keyUsage and extendedKeyUsage, per TrustPolicy.
Status checkSignerUsage(X509 *cert, const TrustPolicy &policy) {
  std::string who = nameToString(X509_get_subject_name(cert));
  uint32_t ku = X509_get_key_usage(cert); // UINT32_MAX: no keyUsage extension
  if (ku != UINT32_MAX && !(ku & KU_DIGITAL_SIGNATURE))
    return makeError(EKEYREJECTED,
                     "signer certificate " + who + " does not allow digitalSignature (keyUsage)",
                     "sign with a certificate issued for code signing");
  int crit = 0;
  auto *eku =
      static_cast<EXTENDED_KEY_USAGE *>(X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, nullptr));
  if (!eku) {
    ERR_clear_error();
    if (crit == -2) // more than one extendedKeyUsage extension
      return makeError(EKEYREJECTED,
                       "signer certificate " + who + " has two extendedKeyUsage extensions");
    return ok(); // no EKU: any purpose (RFC 5280 4.2.1.12)
  }
  std::vector<std::string> wanted = policy.ekus;
  if (wanted.empty())
    wanted.push_back("1.3.6.1.5.5.7.3.3"); // id-kp-codeSigning
  std::string present;
  bool match = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    char buf[128];
    ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
    OBJ_obj2txt(buf, sizeof buf, obj, /*no_name=*/1);
    std::string oid = buf;
    if (OBJ_obj2nid(obj) == NID_anyExtendedKeyUsage ||
        std::find(wanted.begin(), wanted.end(), oid) != wanted.end())
      match = true;
    int nid = OBJ_obj2nid(obj);
    if (!present.empty())
      present += ',';
    present += nid != NID_undef ? std::string(OBJ_nid2sn(nid)) : oid;
  }
  EXTENDED_KEY_USAGE_free(eku);
  if (!match) {
    std::string want;
    for (const auto &w : wanted)
      want += (want.empty() ? "" : " or ") +
              (w == "1.3.6.1.5.5.7.3.3" ? std::string("codeSigning") : w);
    return makeError(
        EKEYREJECTED,
        "signer certificate " + who + " is not for code signing (extendedKeyUsage " + present +
            ", need " + want + ")",
        "sign with a codeSigning certificate, or name the accepted purpose with --eku OID");
  }
  return ok();
}

Status checkDates(X509 *cert) {
  std::string who = nameToString(X509_get_subject_name(cert));
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
    return makeError(EKEYEXPIRED, "certificate " + who + " is not valid yet (notBefore)");
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
    return makeError(EKEYEXPIRED, "certificate " + who + " has expired (notAfter)",
                     "re-sign with a current certificate");
  return ok();
}

} // namespace

Result<std::vector<uint8_t>> signDetached(const SigningKey &key, std::span<const uint8_t> data) {
  BioPtr in = memBio(data);
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, kSignFlags));
  if (!cms || !in)
    return sslError(ENOMEM, "cannot start a CMS signature");
  if (!CMS_add1_signer(cms.get(), key.impl().cert.get(), key.impl().key.get(), EVP_sha256(),
                       kSignerFlags))
    return sslError(EINVAL, "cannot add the signer to the CMS signature",
                    "the key must be RSA or ECDSA and match the certificate");
  if (!CMS_final(cms.get(), in.get(), nullptr, CMS_NOCERTS | CMS_BINARY))
    return sslError(EIO, "signing failed (" + key.backend() + " key)",
                    key.backend() == "pem" ? "" : "check that the token is present and logged in");
  unsigned char *der = nullptr;
  int len = i2d_CMS_ContentInfo(cms.get(), &der);
  if (len <= 0)
    return sslError(EIO, "cannot encode the CMS signature");
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  if (out.size() > format::kMaxSignatureSize)
    return makeError(E2BIG,
                     "signature is " + std::to_string(out.size()) + " bytes, above the " +
                         std::to_string(format::kMaxSignatureSize) + "-byte limit",
                     "use an RSA key of at most 16384 bits or an EC key");
  return out;
}

TrustStore::TrustStore() : impl_(std::make_unique<Impl>()) {}
TrustStore::TrustStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrustStore::~TrustStore() = default;
TrustStore::TrustStore(TrustStore &&) noexcept = default;
TrustStore &TrustStore::operator=(TrustStore &&) noexcept = default;
size_t TrustStore::anchorCount() const {
  return static_cast<size_t>(sk_X509_num(impl_->anchors.get()));
}
size_t TrustStore::caCount() const {
  return static_cast<size_t>(sk_X509_num(impl_->ca_certs.get()));
}

Result<TrustStore> loadTrustStore(const std::vector<std::string> &cert_files,
                                  const std::string &ca_dir) {
  return loadTrustStore(cert_files, ca_dir, TrustPolicy{});
}

Result<TrustStore> loadTrustStore(const std::vector<std::string> &cert_files,
                                  const std::string &ca_dir, const TrustPolicy &policy) {
  for (const std::string &oid : policy.ekus) {
    ObjPtr obj(OBJ_txt2obj(oid.c_str(), /*no_name=*/1));
    if (!obj)
      return makeError(EINVAL, "'" + oid + "' is not an OID",
                       "give an extended key usage as a dotted OID, e.g. 1.3.6.1.5.5.7.3.3");
  }
  if (cert_files.empty() && ca_dir.empty())
    return makeError(EINVAL, "no trusted certificates given",
                     "pass --cert CERT.pem (repeatable) or --ca-dir DIR");
  auto impl = std::make_unique<TrustStore::Impl>();
  impl->policy = policy;
  for (const std::string &path : cert_files)
    if (auto st = readCertificates(path, impl->anchors.get()); !st)
      return st.takeError();
  if (!ca_dir.empty()) {
    std::error_code ec;
    std::filesystem::directory_iterator it(ca_dir, ec);
    if (ec)
      return makeError(ec.value(), "cannot read CA directory '" + ca_dir + "'");
    std::vector<std::string> files;
    for (const auto &entry : it) {
      std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() &&
          (ext == ".pem" || ext == ".crt" || ext == ".cer" || ext == ".der"))
        files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    for (const std::string &path : files) {
      X509StackPtr certs(sk_X509_new_null());
      if (auto st = readCertificates(path, certs.get()); !st)
        return st.takeError();
      // Only CAs are anchors: a leaf here would otherwise be trusted for
      // anything it signs, whatever it was issued for.
      for (int i = 0; i < sk_X509_num(certs.get()); ++i) {
        X509 *cert = sk_X509_value(certs.get(), i);
        if (!(X509_get_extension_flags(cert) & EXFLAG_CA))
          return makeError(EINVAL,
                           "'" + path +
                               "' in the CA directory holds a certificate that is not a "
                               "CA (" +
                               nameToString(X509_get_subject_name(cert)) +
                               "; basicConstraints CA:TRUE missing)",
                           "keep only CA certificates in --ca-dir; pin a signer with --cert");
        X509_up_ref(cert);
        sk_X509_push(impl->ca_certs.get(), cert);
      }
    }
    if (sk_X509_num(impl->ca_certs.get()) == 0)
      return makeError(ENOENT, "no certificates (*.pem, *.crt, *.cer, *.der) in '" + ca_dir + "'");
    impl->store.reset(X509_STORE_new());
    if (!impl->store)
      return sslError(ENOMEM, "cannot create an X509 store");
    for (int i = 0; i < sk_X509_num(impl->ca_certs.get()); ++i)
      if (!X509_STORE_add_cert(impl->store.get(), sk_X509_value(impl->ca_certs.get(), i)))
        return sslError(EINVAL, "cannot add a certificate from '" + ca_dir + "' to the store");
    // CMS_verify defaults to the S/MIME purpose, which a codeSigning-only
    // certificate fails; the signer's key usages are checked by
    // checkSignerUsage instead (codeSigning or the user's OIDs).
    X509_STORE_set_purpose(impl->store.get(), X509_PURPOSE_ANY);
  }
  return TrustStore(std::move(impl));
}

Result<SignerInfo> verifyDetached(const TrustStore &trust, std::span<const uint8_t> data,
                                  std::span<const uint8_t> der_cms) {
  auto cms = parseCms(der_cms);
  if (!cms)
    return cms.takeError();
  CMS_SignerInfo *si = onlySigner(cms->get());
  SignerInfo info;
  describeSignerId(si, info);
  if (info.digest != "sha256" && info.digest != "sha384" && info.digest != "sha512")
    return makeError(EBADMSG, "signature uses digest '" + info.digest + "'",
                     "sign with SHA-256 (-md sha256)");

  const TrustStore::Impl &t = trust.impl();
  X509 *pinned = nullptr;
  for (int i = 0; i < sk_X509_num(t.anchors.get()) && !pinned; ++i)
    if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(t.anchors.get(), i)) == 0)
      pinned = sk_X509_value(t.anchors.get(), i);

  // OpenSSL 3.0's CMS_verify copies a memory BIO into one of its own and
  // leaks that copy when it cannot set up the signature's digest; behind a
  // pass-through filter it reads ours directly.
  BioPtr mem = memBio(data);
  BioPtr content(BIO_new(BIO_f_null()));
  if (!mem || !content)
    return sslError(ENOMEM, "cannot allocate a buffer for the signed bytes");
  BIO_push(content.get(), mem.release());
  if (pinned) {
    // A pinned certificate is the trust anchor itself (like a key in a kernel
    // keyring): check the signature with its key, build no chain.
    X509StackPtr certs(sk_X509_new_null());
    X509_up_ref(pinned);
    sk_X509_push(certs.get(), pinned);
    if (CMS_verify(cms->get(), certs.get(), nullptr, content.get(), nullptr,
                   CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) != 1)
      return sslError(EKEYREJECTED, "signature does not match the signed bytes",
                      "the loader or metadata was modified after signing, or the signature "
                      "was made over other data");
    if (auto st = checkSignerUsage(pinned, t.policy); !st)
      return st.takeError();
    if (t.policy.check_pinned_dates)
      if (auto st = checkDates(pinned); !st)
        return st.takeError();
    describeCert(pinned, info);
    info.trust = t.policy.check_pinned_dates ? "pinned (dates checked)" : "pinned";
  } else if (t.store) {
    // Chain the signer certificate the CMS carries ourselves first, so a
    // refusal says why (expired, unknown CA, ...) instead of OpenSSL's
    // generic "certificate verify error".
    X509StackPtr carried(CMS_get1_certs(cms->get()));
    X509 *claimed = nullptr;
    for (int i = 0; carried && i < sk_X509_num(carried.get()) && !claimed; ++i)
      if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(carried.get(), i)) == 0)
        claimed = sk_X509_value(carried.get(), i);
    if (claimed) {
      std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
      if (!ctx || !X509_STORE_CTX_init(ctx.get(), t.store.get(), claimed, carried.get()))
        return sslError(ENOMEM, "cannot set up certificate chain verification");
      if (X509_verify_cert(ctx.get()) != 1) {
        int code = X509_STORE_CTX_get_error(ctx.get());
        ERR_clear_error();
        return makeError(EKEYREJECTED,
                         "signer certificate " + nameToString(X509_get_subject_name(claimed)) +
                             " (carried in the signature) does not chain to a CA of the "
                             "directory: " +
                             X509_verify_cert_error_string(code),
                         code == X509_V_ERR_CERT_HAS_EXPIRED ||
                                 code == X509_V_ERR_CERT_NOT_YET_VALID
                             ? "re-sign with a certificate within its validity dates"
                             : "sign with a certificate issued by a CA of --ca-dir");
      }
    }
    if (CMS_verify(cms->get(), t.ca_certs.get(), t.store.get(), content.get(), nullptr,
                   CMS_BINARY) != 1) {
      std::string reasons = drainErrors();
      bool no_cert = reasons.find("signer certificate not found") != std::string::npos;
      return makeError(no_cert ? ENOKEY : EKEYREJECTED,
                       no_cert ? "no certificate for signer key id " + info.key_id_hex +
                                     " in the CA directory or the signature"
                               : "signature rejected: " + reasons,
                       no_cert ? "the signature must carry the signer's certificate (openssl cms "
                                 "-sign without -nocerts), or pin it with --cert"
                               : "");
    }
    // The certificate CMS_verify chained (from the CMS or the directory):
    // it is the signer the report names.
    X509 *signer = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, &signer, nullptr, nullptr);
    if (!signer)
      return makeError(EKEYREJECTED, "signature verified but its signer certificate is unknown");
    if (auto st = checkSignerUsage(signer, t.policy); !st)
      return st.takeError();
    describeCert(signer, info);
    info.trust = "ca-chain";
  } else {
    std::string who = !info.key_id_hex.empty()
                          ? "key id " + info.key_id_hex
                          : "issuer " + info.issuer + " serial " + info.serial_hex;
    return makeError(ENOKEY, "signed by " + who + ", which no trusted certificate has",
                     "pass the signer's certificate with --cert");
  }
  ERR_clear_error();
  info.verified = true;
  return info;
}

Result<SignerInfo> describeSignature(std::span<const uint8_t> der_cms) {
  return describeSignature(der_cms, TrustStore());
}

Result<SignerInfo> describeSignature(std::span<const uint8_t> der_cms,
                                     const TrustStore &known_certs) {
  auto cms = parseCms(der_cms);
  if (!cms)
    return cms.takeError();
  CMS_SignerInfo *si = onlySigner(cms->get());
  SignerInfo info;
  describeSignerId(si, info);
  X509StackPtr embedded(CMS_get1_certs(cms->get()));
  for (STACK_OF(X509) * set :
       {embedded.get(), known_certs.impl().anchors.get(), known_certs.impl().ca_certs.get()}) {
    for (int i = 0; set && i < sk_X509_num(set); ++i)
      if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(set, i)) == 0) {
        describeCert(sk_X509_value(set, i), info);
        ERR_clear_error();
        return info;
      }
  }
  ERR_clear_error();
  return info;
}

Status checkSignatureShape(std::span<const uint8_t> der_cms) {
  auto cms = parseCms(der_cms);
  if (!cms)
    return cms.takeError();
  return ok();
}

} // namespace bpfseal::signing

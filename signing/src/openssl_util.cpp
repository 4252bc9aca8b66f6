#include "openssl_util.h"

#include <openssl/pem.h>

#include <cctype>
#include <cerrno>

namespace bpfseal::signing::detail {

std::string drainErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    const char *reason = ERR_reason_error_string(code);
    std::string piece = reason ? reason : ("openssl error " + std::to_string(code));
    if (out.find(piece) != std::string::npos)
      continue;
    if (!out.empty())
      out += "; ";
    out += piece;
  }
  return out;
}

Error sslError(int err, const std::string &msg, std::string hint) {
  std::string reasons = drainErrors();
  return makeError(err, reasons.empty() ? msg : msg + ": " + reasons, std::move(hint));
}

BioPtr memBio(std::span<const uint8_t> bytes) {
  // BIO_new_mem_buf does not copy; callers keep `bytes` alive while reading.
  static const uint8_t kEmpty = 0;
  const void *data = bytes.empty() ? &kEmpty : bytes.data();
  return BioPtr(BIO_new_mem_buf(data, static_cast<int>(bytes.size())));
}

std::vector<uint8_t> bioBytes(BIO *bio) {
  BUF_MEM *mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  if (!mem || !mem->data)
    return {};
  return std::vector<uint8_t>(mem->data, mem->data + mem->length);
}

std::string nameToString(const X509_NAME *name) {
  if (!name)
    return {};
  BioPtr out(BIO_new(BIO_s_mem()));
  // Certificate order, "CN=x, O=y" style: readable in one line of a report.
  X509_NAME_print_ex(out.get(), name, 0,
                     XN_FLAG_SEP_CPLUS_SPC | ASN1_STRFLGS_RFC2253 | XN_FLAG_FN_SN);
  auto bytes = bioBytes(out.get());
  return std::string(bytes.begin(), bytes.end());
}

std::string hexOf(const unsigned char *p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

std::string serialHex(const ASN1_INTEGER *serial) {
  if (!serial)
    return {};
  BIGNUM *bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (!bn)
    return {};
  char *h = BN_bn2hex(bn);
  std::string out = h ? h : "";
  OPENSSL_free(h);
  BN_free(bn);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string certKeyIdHex(X509 *cert) {
  const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);
  if (!skid)
    return {};
  return hexOf(ASN1_STRING_get0_data(skid), static_cast<size_t>(ASN1_STRING_length(skid)));
}

Result<X509Ptr> readCertificate(const std::string &path) {
  BioPtr in(BIO_new_file(path.c_str(), "rb"));
  if (!in)
    return makeError(errno ? errno : ENOENT, "cannot open certificate '" + path + "'",
                     "pass an X.509 certificate made by 'bpfseal keygen' or openssl");
  X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    BIO_reset(in.get());
    cert.reset(d2i_X509_bio(in.get(), nullptr));
  }
  if (!cert)
    return sslError(EBADMSG, "'" + path + "' is not a PEM or DER X.509 certificate");
  ERR_clear_error();
  return cert;
}

} // namespace bpfseal::signing::detail

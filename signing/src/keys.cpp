// Loading signing keys (PEM/DER files, PKCS#11 URIs) and making new ones.
//
// PKCS#11: OpenSSL 3.0 on Debian bookworm ships no pkcs11 provider, so a
// "pkcs11:" URI is first offered to OSSL_STORE (which succeeds when the
// user configured a provider with a pkcs11 store loader) and then to the
// libp11 "pkcs11" ENGINE (libengine-pkcs11-openssl). ENGINEs are deprecated
// in OpenSSL 3 but are the only PKCS#11 path this platform has.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "openssl_util.h"

#include <openssl/engine.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

namespace bpfseal::signing {

using namespace detail;

SigningKey::Impl::~Impl() {
  key.reset();
  if (engine) {
    auto *e = static_cast<ENGINE *>(engine);
    ENGINE_finish(e);
    ENGINE_free(e);
  }
}

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::~SigningKey() = default;

std::string SigningKey::subject() const {
  return nameToString(X509_get_subject_name(impl_->cert.get()));
}
std::string SigningKey::keyIdHex() const { return certKeyIdHex(impl_->cert.get()); }
std::string SigningKey::backend() const { return impl_->backend; }

namespace {

Result<std::optional<std::string>> resolvePassphrase(const std::string &spec) {
  if (spec.empty())
    return std::optional<std::string>{};
  if (spec.rfind("env:", 0) == 0) {
    const char *v = std::getenv(spec.c_str() + 4);
    if (!v)
      return makeError(ENOENT, "passphrase variable '" + spec.substr(4) + "' is not set",
                       "export it, or use --pass file:PATH");
    return std::optional<std::string>(v);
  }
  if (spec.rfind("file:", 0) == 0) {
    std::ifstream in(spec.substr(5));
    if (!in)
      return makeError(ENOENT, "cannot read passphrase file '" + spec.substr(5) + "'");
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    return std::optional<std::string>(line);
  }
  if (spec.rfind("pass:", 0) == 0)
    return std::optional<std::string>(spec.substr(5));
  return makeError(EINVAL, "unknown passphrase source '" + spec + "'",
                   "use env:VAR, file:PATH or pass:TEXT");
}

struct PassCallbackState {
  const std::optional<std::string> *pass;
  bool asked = false;
};

int pemPassCallback(char *buf, int size, int, void *u) {
  auto *state = static_cast<PassCallbackState *>(u);
  state->asked = true;
  if (!state->pass->has_value())
    return -1; // never prompt: signing runs in builds and CI
  const std::string &p = **state->pass;
  if (p.size() > static_cast<size_t>(size))
    return -1;
  std::memcpy(buf, p.data(), p.size());
  return static_cast<int>(p.size());
}

Result<PkeyPtr> loadKeyFile(const std::string &path, const std::optional<std::string> &pass) {
  BioPtr in(BIO_new_file(path.c_str(), "rb"));
  if (!in)
    return makeError(errno ? errno : ENOENT, "cannot open private key '" + path + "'",
                     "pass a PEM key file or a pkcs11: URI with --key");
  PassCallbackState state{&pass};
  PkeyPtr key(PEM_read_bio_PrivateKey(in.get(), nullptr, pemPassCallback, &state));
  if (!key && !state.asked) {
    ERR_clear_error();
    BIO_reset(in.get());
    key.reset(d2i_PrivateKey_bio(in.get(), nullptr));
  }
  if (key) {
    ERR_clear_error();
    return key;
  }
  if (state.asked && !pass)
    return sslError(EACCES, "private key '" + path + "' is encrypted",
                    "give its passphrase with --pass env:VAR or --pass file:PATH");
  if (state.asked)
    return sslError(EACCES, "cannot decrypt private key '" + path + "'",
                    "check the passphrase given with --pass");
  return sslError(EBADMSG, "'" + path + "' is not a PEM or DER private key");
}

// OSSL_STORE: works for any URI scheme a configured provider handles.
std::optional<PkeyPtr> loadKeyFromStore(const std::string &uri,
                                        const std::optional<std::string> &pass) {
  PassCallbackState state{&pass};
  UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(pemPassCallback, 0);
  OSSL_STORE_CTX *ctx = OSSL_STORE_open(uri.c_str(), ui, &state, nullptr, nullptr);
  std::optional<PkeyPtr> found;
  if (ctx) {
    OSSL_STORE_expect(ctx, OSSL_STORE_INFO_PKEY);
    while (!found && !OSSL_STORE_eof(ctx)) {
      OSSL_STORE_INFO *info = OSSL_STORE_load(ctx);
      if (!info) {
        if (OSSL_STORE_error(ctx))
          break;
        continue;
      }
      if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
        found = PkeyPtr(OSSL_STORE_INFO_get1_PKEY(info));
      OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(ctx);
  }
  UI_destroy_method(ui);
  ERR_clear_error();
  return found;
}

std::string uriQueryValue(const std::string &uri, const std::string &attr) {
  size_t q = uri.find('?');
  if (q == std::string::npos)
    return {};
  std::string query = uri.substr(q + 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    std::string part = query.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (part.rfind(attr + "=", 0) == 0)
      return part.substr(attr.size() + 1);
    if (end == std::string::npos)
      break;
    pos = end + 1;
  }
  return {};
}

// libp11 prints its own diagnostics ("Login failed", "The private key was not
// found at: ...") to stderr; the same reasons reach the OpenSSL error queue
// and our one-line error, so keep them quiet unless BPFSEAL_PKCS11_VERBOSE
// is set. Only used while loading a key, never on a hot path.
class QuietStderr {
public:
  QuietStderr() {
    if (std::getenv("BPFSEAL_PKCS11_VERBOSE"))
      return;
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null_fd >= 0)
      ::dup2(null_fd, STDERR_FILENO);
    if (null_fd >= 0)
      ::close(null_fd);
  }
  ~QuietStderr() {
    if (saved_ < 0)
      return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr &) = delete;
  QuietStderr &operator=(const QuietStderr &) = delete;

private:
  int saved_ = -1;
};

// The URI may carry ?pin-value=: never echo the PIN into an error message.
std::string redactUri(const std::string &uri) {
  std::string out = uri;
  size_t pos = out.find("pin-value=");
  while (pos != std::string::npos) {
    size_t start = pos + 10;
    size_t end = out.find_first_of("&;", start);
    out.replace(start, end == std::string::npos ? std::string::npos : end - start, "***");
    pos = out.find("pin-value=", start);
  }
  return out;
}

// "scheme:rest" with an RFC 3986 scheme and no such file: an OSSL_STORE URI.
bool isStoreUri(const std::string &spec) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos || colon < 2 || !std::isalpha(static_cast<unsigned char>(spec[0])))
    return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = spec[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return ::access(spec.c_str(), F_OK) != 0;
}

struct EngineRef {
  ENGINE *e = nullptr;
  bool initialized = false;
  ~EngineRef() {
    if (e && initialized)
      ENGINE_finish(e);
    if (e)
      ENGINE_free(e);
  }
  ENGINE *release() {
    ENGINE *r = e;
    e = nullptr;
    return r;
  }
};

Result<PkeyPtr> loadKeyFromEngine(const std::string &uri, const std::string &module,
                                  const std::optional<std::string> &pin, EngineRef &ref) {
  if (!module.empty() && ::access(module.c_str(), R_OK) != 0)
    return makeError(errno, "PKCS#11 module '" + module + "' cannot be read",
                     "set PKCS11_MODULE_PATH (or --pkcs11-module) to the token's module, e.g. "
                     "/usr/lib/softhsm/libsofthsm2.so");
  QuietStderr quiet;
  ENGINE_load_builtin_engines();
  // Finds engines-3/pkcs11.so through the dynamic engine when no openssl.cnf
  // section names it.
  ref.e = ENGINE_by_id("pkcs11");
  if (!ref.e)
    return sslError(ENOPKG, "cannot load the OpenSSL 'pkcs11' engine for '" + redactUri(uri) + "'",
                    "install libengine-pkcs11-openssl, or configure a pkcs11 provider");
  if (!module.empty() && !ENGINE_ctrl_cmd_string(ref.e, "MODULE_PATH", module.c_str(), 0))
    return sslError(EINVAL, "pkcs11 engine rejected module '" + module + "'");
  if (pin && uriQueryValue(uri, "pin-value").empty() &&
      !ENGINE_ctrl_cmd_string(ref.e, "PIN", pin->c_str(), 0))
    return sslError(EINVAL, "pkcs11 engine rejected the PIN");
  if (!ENGINE_init(ref.e))
    return sslError(EIO,
                    "cannot initialise the pkcs11 engine" +
                        (module.empty() ? std::string() : " with module '" + module + "'"),
                    "set PKCS11_MODULE_PATH (or --pkcs11-module) to the token's PKCS#11 module");
  ref.initialized = true;
  PkeyPtr key(ENGINE_load_private_key(ref.e, uri.c_str(), nullptr, nullptr));
  if (!key)
    return sslError(ENOKEY, "no private key at '" + redactUri(uri) + "'",
                    "check token=/object=/id= in the URI and the PIN (?pin-value= or --pass)");
  ERR_clear_error();
  return key;
}

} // namespace

Result<std::unique_ptr<SigningKey>> loadSigningKey(const std::string &key_spec,
                                                   const std::string &cert_path) {
  return loadSigningKey(key_spec, cert_path, KeyOptions{});
}

Result<std::unique_ptr<SigningKey>> loadSigningKey(const std::string &key_spec,
                                                   const std::string &cert_path,
                                                   const KeyOptions &options) {
  if (key_spec.empty())
    return makeError(EINVAL, "no signing key given", "pass --key KEY.pem or --key 'pkcs11:...'");
  if (cert_path.empty())
    return makeError(EINVAL, "no certificate given",
                     "pass --cert CERT.pem (the certificate of the signing key)");
  auto pass = resolvePassphrase(options.pass);
  if (!pass)
    return pass.takeError();

  auto impl = std::make_unique<SigningKey::Impl>();
  auto cert = readCertificate(cert_path);
  if (!cert)
    return cert.takeError();
  impl->cert = cert.take();
  if (certKeyIdHex(impl->cert.get()).empty())
    return makeError(EINVAL, "certificate '" + cert_path + "' has no subjectKeyIdentifier",
                     "signatures name the signer by key id; make the cert with "
                     "'bpfseal keygen' or add subjectKeyIdentifier=hash");

  if (key_spec.rfind("pkcs11:", 0) == 0) {
    if (auto key = loadKeyFromStore(key_spec, *pass)) {
      impl->key = std::move(*key);
      impl->backend = "ossl-store";
    } else {
      std::string module = options.pkcs11_module;
      if (module.empty())
        if (const char *env = std::getenv("PKCS11_MODULE_PATH"))
          module = env;
      EngineRef ref;
      auto engine_key = loadKeyFromEngine(key_spec, module, *pass, ref);
      if (!engine_key)
        return engine_key.takeError();
      impl->key = engine_key.take();
      impl->engine = ref.release();
      impl->backend = "pkcs11-engine";
    }
  } else if (isStoreUri(key_spec)) {
    // Any other URI a configured OpenSSL provider serves ("file:", "tpm2:"...).
    auto key = loadKeyFromStore(key_spec, *pass);
    if (!key)
      return makeError(ENOKEY, "no private key at '" + redactUri(key_spec) + "'",
                       "check the URI, that a provider for its scheme is configured, "
                       "and --pass for an encrypted key");
    impl->key = std::move(*key);
    impl->backend = "ossl-store";
  } else {
    auto key = loadKeyFile(key_spec, *pass);
    if (!key)
      return key.takeError();
    impl->key = key.take();
    impl->backend = "pem";
  }

  if (X509_check_private_key(impl->cert.get(), impl->key.get()) != 1)
    return sslError(EKEYREJECTED,
                    "key '" + redactUri(key_spec) + "' does not match certificate '" + cert_path +
                        "'",
                    "pass the certificate that was issued for this key");
  return std::make_unique<SigningKey>(std::move(impl));
}

namespace {

Status addSubject(X509_NAME *name, const std::string &subject) {
  std::vector<std::string> parts;
  char sep = ',';
  std::string s = subject;
  if (!s.empty() && s[0] == '/') {
    sep = '/';
    s.erase(0, 1);
  }
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(sep, pos);
    parts.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos)
      break;
    pos = end + 1;
  }
  auto trim = [](std::string v) {
    size_t b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
  };
  for (const std::string &raw : parts) {
    std::string part = trim(raw);
    size_t eq = part.find('=');
    if (part.empty() || eq == std::string::npos || eq == 0 || eq + 1 == part.size())
      return makeError(EINVAL, "bad subject component '" + part + "' in '" + subject + "'",
                       "write the subject as \"CN=name,O=org\"");
    std::string field = trim(part.substr(0, eq)), value = trim(part.substr(eq + 1));
    if (!X509_NAME_add_entry_by_txt(name, field.c_str(), MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char *>(value.c_str()), -1, -1,
                                    0))
      return sslError(EINVAL, "bad subject field '" + field + "'",
                      "use fields such as CN, O, OU, C, emailAddress");
  }
  if (X509_NAME_entry_count(name) == 0)
    return makeError(EINVAL, "empty certificate subject", "pass --subject \"CN=name\"");
  return ok();
}

Status addExtension(X509 *cert, X509V3_CTX *ctx, int nid, const char *value) {
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (!ext)
    return sslError(EINVAL, std::string("cannot build extension ") + OBJ_nid2sn(nid));
  int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (!added)
    return sslError(ENOMEM, std::string("cannot add extension ") + OBJ_nid2sn(nid));
  return ok();
}

std::string pemOf(int (*writer)(BIO *, void *), void *obj) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!writer(out.get(), obj))
    return {};
  auto bytes = bioBytes(out.get());
  return std::string(bytes.begin(), bytes.end());
}

} // namespace

Result<KeyMaterial> generateSigningKey(const KeygenOptions &options) {
  if (options.bits < 2048 || options.bits > 16384)
    return makeError(EINVAL, "RSA key size " + std::to_string(options.bits) + " out of range",
                     "use 3072 (the default) or 4096");
  if (options.days == 0)
    return makeError(EINVAL, "certificate validity of 0 days", "pass --days N with N >= 1");

  PkeyPtr key(EVP_RSA_gen(options.bits));
  if (!key)
    return sslError(EIO, "RSA key generation failed");

  X509Ptr cert(X509_new());
  NamePtr name(X509_NAME_new());
  if (!cert || !name)
    return sslError(ENOMEM, "out of memory building the certificate");
  if (auto st = addSubject(name.get(), options.subject); !st)
    return st.takeError();

  // 159-bit random positive serial (RFC 5280: at most 20 octets, positive).
  unsigned char serial_bytes[20];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1)
    return sslError(EIO, "no randomness for the certificate serial");
  serial_bytes[0] &= 0x7f;
  serial_bytes[0] |= 0x01;
  BIGNUM *bn = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  bool serial_ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  if (!serial_ok)
    return sslError(ENOMEM, "cannot set the certificate serial");

  if (!X509_set_version(cert.get(), X509_VERSION_3) ||
      !X509_set_subject_name(cert.get(), name.get()) ||
      !X509_set_issuer_name(cert.get(), name.get()) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(options.days), 0,
                        nullptr) ||
      !X509_set_pubkey(cert.get(), key.get()))
    return sslError(EIO, "cannot fill in the certificate");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  // The kernel's x509 parser takes the key id from SKID/AKID; the subject
  // key id must exist before the authority key id can copy it.
  struct {
    int nid;
    const char *value;
  } const exts[] = {
      {NID_subject_key_identifier, "hash"},         {NID_authority_key_identifier, "keyid:always"},
      {NID_basic_constraints, "critical,CA:FALSE"}, {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "codeSigning"},
  };
  for (const auto &ext : exts)
    if (auto st = addExtension(cert.get(), &ctx, ext.nid, ext.value); !st)
      return st.takeError();

  if (!X509_sign(cert.get(), key.get(), EVP_sha256()))
    return sslError(EIO, "cannot self-sign the certificate");

  KeyMaterial out;
  {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
      return sslError(EIO, "cannot encode the private key");
    auto bytes = bioBytes(bio.get());
    out.key_pem.assign(bytes.begin(), bytes.end());
    OPENSSL_cleanse(bytes.data(), bytes.size());
  }
  out.cert_pem =
      pemOf([](BIO *b, void *c) { return PEM_write_bio_X509(b, static_cast<X509 *>(c)); },
            cert.get());
  unsigned char *der = nullptr;
  int der_len = i2d_X509(cert.get(), &der);
  if (der_len <= 0 || out.cert_pem.empty())
    return sslError(EIO, "cannot encode the certificate");
  out.cert_der.assign(der, der + der_len);
  OPENSSL_free(der);
  out.key_id_hex = certKeyIdHex(cert.get());
  out.subject = nameToString(X509_get_subject_name(cert.get()));
  return out;
}

} // namespace bpfseal::signing

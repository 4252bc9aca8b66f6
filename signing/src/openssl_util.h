// RAII owners for OpenSSL objects and error-queue helpers, private to
// bpfseal_signing.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/signing.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace bpfseal::signing::detail {

template <auto Fn> struct Deleter {
  template <typename T> void operator()(T *p) const { Fn(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT_free>>;

struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// Drains the OpenSSL error queue into one line ("reason; reason").
std::string drainErrors();
// makeError(err, msg + ": " + OpenSSL reasons, hint).
Error sslError(int err, const std::string &msg, std::string hint = {});

BioPtr memBio(std::span<const uint8_t> bytes);
std::vector<uint8_t> bioBytes(BIO *bio);

std::string nameToString(const X509_NAME *name);
std::string hexOf(const unsigned char *p, size_t n);
std::string serialHex(const ASN1_INTEGER *serial);
std::string certKeyIdHex(X509 *cert); // "" when the cert has no SKID

// Reads one PEM or DER certificate.
Result<X509Ptr> readCertificate(const std::string &path);

} // namespace bpfseal::signing::detail

struct bpfseal::signing::SigningKey::Impl {
  detail::PkeyPtr key;
  detail::X509Ptr cert;
  std::string backend;
  // ENGINE handle (void * keeps <openssl/engine.h> and its deprecation out of
  // every includer); released after `key`.
  void *engine = nullptr;
  ~Impl();
};

struct bpfseal::signing::TrustStore::Impl {
  detail::X509StackPtr anchors{sk_X509_new_null()}; // pinned, given directly
  detail::X509StackPtr ca_certs{sk_X509_new_null()}; // from ca_dir
  detail::StorePtr store;                            // built from ca_certs
  bpfseal::signing::TrustPolicy policy;
};

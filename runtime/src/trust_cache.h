// Trust stores are parsed once per process and set of files: a service that
// loads many objects with the same --cert does not re-read and re-parse the
// certificates on every load. A cached store is reused only while every
// certificate file is the same file with the same contents as far as the
// kernel's stat says (device, inode, size, mtime and ctime, which no user
// can set back): a rotated or rewritten certificate is read again.
// A CA directory is never cached (its file list would have to be re-read).
#pragma once

#include "bpfseal/format.h"
#include "bpfseal/signing.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bpfseal {

Result<std::shared_ptr<const signing::TrustStore>>
cachedTrustStore(const std::vector<std::string> &cert_files, const std::string &ca_dir);

// Signature verdicts of a cached store. A verdict is a function of the signed
// bytes, the signature and the store (its pinned certificates and policy;
// no validity dates, no CA chain, so no clock), so a store that accepted a
// signature over these bytes accepts it again: a process that loads the same
// object again checks its signature once. Kept with the store's cache entry
// and dropped with it when a certificate file changes; only acceptances are
// kept, so every refusal is worked out (and explained) afresh.
struct SignedBytes {
  format::Sha256 insns{};    // SHA-256 of the loader's instructions
  format::Sha256 metadata{}; // SHA-256 of the metadata when the signature covers it, else zero
  std::vector<uint8_t> signature; // the DER CMS, compared in full
  bool operator==(const SignedBytes &) const = default;
};
std::optional<signing::SignerInfo> recallVerdict(const signing::TrustStore &store,
                                                 const SignedBytes &signed_bytes);
void rememberVerdict(const signing::TrustStore &store, SignedBytes signed_bytes,
                     const signing::SignerInfo &signer);

} // namespace bpfseal

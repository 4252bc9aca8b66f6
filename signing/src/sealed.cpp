// Signing and verifying whole sealed objects: one signature per loader, over
// exactly the bytes that loader's kernel scheme verifies.
#include "bpfseal/signing.h"

#include <map>

namespace bpfseal::signing {

Result<std::vector<uint8_t>> signSealedFile(std::span<const uint8_t> sealed_file,
                                            const SigningKey &key) {
  auto sealed = format::readSealed(sealed_file);
  if (!sealed)
    return sealed.takeError();
  if (sealed->loaders.empty())
    return makeError(EINVAL, "sealed object has no loaders to sign",
                     "re-seal it with 'bpfseal seal'");
  std::map<std::string, std::vector<uint8_t>> signatures;
  for (const format::LoaderImage &loader : sealed->loaders) {
    auto sig = signDetached(key, format::signedPayload(*sealed, loader));
    if (!sig) {
      Error e = sig.takeError();
      e.msg = "loader '" + loader.info.name + "': " + e.msg;
      return e;
    }
    signatures[loader.info.name] = sig.take();
  }
  return format::replaceSignatures(sealed_file, signatures);
}

LoaderVerdict verifyLoader(const format::SealedObject &sealed, const format::LoaderImage &loader,
                           const TrustStore &trust) {
  LoaderVerdict v;
  v.loader = loader.info.name;
  v.kind = loader.info.kind;
  std::vector<uint8_t> payload = format::signedPayload(sealed, loader);
  v.payload_size = payload.size();
  if (loader.signature.empty()) {
    v.error = makeError(ENODATA, "loader '" + v.loader + "' is unsigned",
                        "sign the object with 'bpfseal sign --key K --cert C'");
  } else if (auto signer = verifyDetached(trust, payload, loader.signature)) {
    v.signer = *signer;
    v.ok = true;
  } else {
    v.error = signer.takeError();
    v.error.msg = "loader '" + v.loader + "': " + v.error.msg;
    // Only the key id the signature claims: a subject taken from a
    // certificate it carries (or guessed from the trust store) was not verified.
    if (auto described = describeSignature(loader.signature))
      v.signer.key_id_hex = described->key_id_hex;
  }
  return v;
}

Status verifySealed(const format::SealedObject &sealed, const TrustStore &trust,
                    std::vector<LoaderVerdict> &verdicts) {
  verdicts.clear();
  if (sealed.loaders.empty())
    return makeError(EINVAL, "sealed object has no loaders", "re-seal it with 'bpfseal seal'");
  Status first = ok();
  for (const format::LoaderImage &loader : sealed.loaders) {
    LoaderVerdict v = verifyLoader(sealed, loader, trust);
    if (!v.ok && first)
      first = v.error;
    verdicts.push_back(std::move(v));
  }
  return first;
}

} // namespace bpfseal::signing

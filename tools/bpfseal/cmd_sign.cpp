// bpfseal sign: one detached CMS signature per loader of a sealed object, over
// the bytes that loader's kernel scheme verifies; or export those bytes for
// signing elsewhere and attach the signatures made there.
#include "commands.h"

#include "bpfseal/format.h"
#include "bpfseal/sealer.h"
#include "bpfseal/signing.h"

#include <getopt.h>
#include <sys/stat.h>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "sign";

void printHelp() {
  std::printf(
      "usage: bpfseal sign SEALED.o --key KEY --cert CERT [-o OUT]\n"
      "       bpfseal sign SEALED.o --detached-out DIR [--key KEY --cert CERT]\n"
      "       bpfseal sign SEALED.o --attach-signature LOADER=FILE... [--cert CERT] [-o OUT]\n\n"
      "Signs every loader (detached DER CMS, SHA-256, no certs, no attributes,\n"
      "signer by key id: upstream bpftool's form). Only signature sections change.\n\n"
      "  --key KEY               PEM key file, or a PKCS#11 URI 'pkcs11:token=..;object=..'\n"
      "  --cert CERT             the key's X.509 certificate (PEM or DER)\n"
      "  --pass SRC              passphrase/PIN: env:VAR, file:PATH or pass:TEXT\n"
      "  --pkcs11-module SO      PKCS#11 module for the engine (default $PKCS11_MODULE_PATH)\n"
      "  -o, --output OUT        write here instead of replacing SEALED.o\n"
      "  --detached-out DIR      write <loader>.payload (and <loader>.p7s with --key)\n"
      "                          instead of changing the object (unless -o is given)\n"
      "  --attach-signature L=F  insert the DER CMS in F as loader L's signature;\n"
      "                          with --cert each one is also verified against it\n");
}

Status writeDetached(const std::string &dir, const std::string &loader, const char *ext,
                     std::span<const uint8_t> bytes) {
  return format::writeFileAtomic(dir + "/" + loader + ext, bytes, 0644);
}

} // namespace

int runSign(int argc, char **argv) {
  static const option kOptions[] = {{"key", required_argument, nullptr, 'k'},
                                    {"cert", required_argument, nullptr, 'c'},
                                    {"pass", required_argument, nullptr, 'p'},
                                    {"pkcs11-module", required_argument, nullptr, 'm'},
                                    {"output", required_argument, nullptr, 'o'},
                                    {"detached-out", required_argument, nullptr, 'd'},
                                    {"attach-signature", required_argument, nullptr, 'a'},
                                    {"json", no_argument, nullptr, 'J'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  std::string key_spec, cert_path, output, detached_dir;
  signing::KeyOptions key_opts;
  std::vector<std::pair<std::string, std::string>> attach;
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "ho:", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'k': key_spec = optarg; break;
    case 'c': cert_path = optarg; break;
    case 'p': key_opts.pass = optarg; break;
    case 'm': key_opts.pkcs11_module = optarg; break;
    case 'o': output = optarg; break;
    case 'd': detached_dir = optarg; break;
    case 'a': {
      std::string spec = optarg;
      size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        return usageError(kCmd, "--attach-signature needs LOADER=FILE, got '" + spec + "'");
      attach.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
      break;
    }
    case 'J': json = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (argc - optind != 1)
    return usageError(kCmd, "expected exactly one sealed object");
  std::string input = argv[optind];
  if (!attach.empty() && (!key_spec.empty() || !detached_dir.empty()))
    return usageError(kCmd, "--attach-signature cannot be combined with --key or --detached-out");
  if (attach.empty() && detached_dir.empty() && (key_spec.empty() || cert_path.empty()))
    return usageError(kCmd, "--key and --cert are required");
  if (!key_spec.empty() && cert_path.empty())
    return usageError(kCmd, "--key needs --cert (the key's certificate)");
  if (output.empty())
    output = input;

  // Signing in place keeps the object's permissions.
  unsigned out_mode = 0644;
  struct stat in_st;
  if (output == input && ::stat(input.c_str(), &in_st) == 0)
    out_mode = in_st.st_mode & 07777;

  auto read = readSealedFile(input);
  if (!read)
    return reportError(kCmd, read.error());
  const std::vector<uint8_t> *file = &read->bytes;
  const format::SealedObject *sealed = &read->sealed;
  // What gets signed must be what `seal` makes of the object's own ELF: the
  // format signs the loader and blob but cannot tie them to the ELF sections
  // (docs/SECURITY.md, "Residual risks"), so the signer seals them again.
  if (Status same = sealer::checkReproducible(*sealed); !same)
    return reportError(kCmd, same.error());

  if (!attach.empty()) {
    std::optional<signing::TrustStore> trust;
    if (!cert_path.empty()) {
      auto t = signing::loadTrustStore({cert_path}, "");
      if (!t)
        return reportError(kCmd, t.error());
      trust = t.take();
    }
    std::map<std::string, std::vector<uint8_t>> signatures;
    for (const auto &[loader_name, path] : attach) {
      const format::LoaderImage *loader = sealed->findLoader(loader_name);
      if (!loader)
        return reportError(kCmd,
                           makeError(ENOENT, "sealed object has no loader '" + loader_name + "'",
                                     "run 'bpfseal inspect' to list its loaders"));
      auto sig = format::readFile(path);
      if (!sig)
        return reportError(kCmd, sig.error());
      Status shape = signing::checkSignatureShape(*sig);
      if (!shape) {
        Error e = shape.takeError();
        e.msg = "'" + path + "' for loader '" + loader_name + "': " + e.msg;
        return reportError(kCmd, e);
      }
      if (trust) {
        auto v = signing::verifyDetached(*trust, format::signedPayload(*sealed, *loader), *sig);
        if (!v) {
          Error e = v.takeError();
          e.msg = "'" + path + "' for loader '" + loader_name + "': " + e.msg;
          return reportError(kCmd, e);
        }
      }
      signatures[loader_name] = sig.take();
    }
    auto out = format::replaceSignatures(*file, signatures);
    if (!out)
      return reportError(kCmd, out.error());
    if (auto st = format::writeFileAtomic(output, *out, out_mode); !st)
      return reportError(kCmd, st.error());
    if (json) {
      nlohmann::ordered_json names = nlohmann::ordered_json::array();
      for (const auto &entry : signatures)
        names.push_back(entry.first);
      std::printf("%s\n",
                  jsonText({{"ok", true}, {"attached", names}, {"output", output}}).c_str());
    } else {
      std::printf("attached %zu signature%s to %s\n", signatures.size(),
                  signatures.size() == 1 ? "" : "s", printable(output).c_str());
    }
    return 0;
  }

  std::unique_ptr<signing::SigningKey> key;
  if (!key_spec.empty()) {
    auto k = signing::loadSigningKey(key_spec, cert_path, key_opts);
    if (!k)
      return reportError(kCmd, k.error());
    key = k.take();
  }

  nlohmann::ordered_json detached_json = nlohmann::ordered_json::array();
  if (!detached_dir.empty()) {
    if (::mkdir(detached_dir.c_str(), 0755) != 0 && errno != EEXIST)
      return reportError(kCmd, makeError(errno, "cannot create directory '" + detached_dir + "'"));
    // Sign everything first so a failure leaves no partial set behind.
    std::map<std::string, std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> files;
    for (const format::LoaderImage &loader : sealed->loaders) {
      std::vector<uint8_t> payload = format::signedPayload(*sealed, loader);
      std::vector<uint8_t> sig;
      if (key) {
        auto s = signing::signDetached(*key, payload);
        if (!s) {
          Error e = s.takeError();
          e.msg = "loader '" + loader.info.name + "': " + e.msg;
          return reportError(kCmd, e);
        }
        sig = s.take();
      }
      files[loader.info.name] = {std::move(payload), std::move(sig)};
    }
    for (const auto &[name, pair] : files) {
      if (auto st = writeDetached(detached_dir, name, ".payload", pair.first); !st)
        return reportError(kCmd, st.error());
      if (key)
        if (auto st = writeDetached(detached_dir, name, ".p7s", pair.second); !st)
          return reportError(kCmd, st.error());
      nlohmann::ordered_json f = {{"loader", name},
                                  {"payload", detached_dir + "/" + name + ".payload"},
                                  {"payload_size", pair.first.size()}};
      if (key) {
        f["signature"] = detached_dir + "/" + name + ".p7s";
        f["signature_size"] = pair.second.size();
      }
      detached_json.push_back(std::move(f));
      if (json)
        continue;
      std::printf("%s/%s.payload (%zu bytes)", printable(detached_dir).c_str(),
                  printable(name).c_str(), pair.first.size());
      if (key)
        std::printf(" + %s.p7s (%zu bytes)", printable(name).c_str(), pair.second.size());
      std::printf("\n");
    }
    if (json && (!key || output == input))
      std::printf("%s\n", jsonText({{"ok", true}, {"detached", detached_json}}).c_str());
    // The object itself changes only when asked for with -o.
    if (!key || output == input)
      return 0;
  }

  auto out = signing::signSealedFile(*file, *key);
  if (!out)
    return reportError(kCmd, out.error());
  if (auto st = format::writeFileAtomic(output, *out, out_mode); !st)
    return reportError(kCmd, st.error());
  if (json) {
    nlohmann::ordered_json j = {
        {"ok", true},
        {"input", input},
        {"output", output},
        {"loaders", sealed->loaders.size()},
        {"signer",
         {{"subject", key->subject()}, {"key_id", key->keyIdHex()}, {"backend", key->backend()}}}};
    if (!detached_json.empty())
      j["detached"] = detached_json;
    std::printf("%s\n", jsonText(j).c_str());
    return 0;
  }
  std::printf("signed %zu loader%s of %s with key %s (%s, %s) -> %s\n", sealed->loaders.size(),
              sealed->loaders.size() == 1 ? "" : "s", printable(input).c_str(),
              key->keyIdHex().c_str(), printable(key->subject()).c_str(), key->backend().c_str(),
              printable(output).c_str());
  return 0;
}

} // namespace bpfseal::cli

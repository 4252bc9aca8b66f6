// bpfseal keygen: an RSA key and a self-signed X.509 certificate that the
// kernel's asymmetric key type accepts (keyctl padd asymmetric NAME @s < C.der).
#include "commands.h"

#include "bpfseal/format.h"
#include "bpfseal/signing.h"

#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "keygen";

void printHelp() {
  std::printf("usage: bpfseal keygen --key KEY.pem --cert CERT.pem [options]\n\n"
              "Makes an RSA key (PKCS#8 PEM, mode 0600) and a self-signed X.509 v3\n"
              "certificate for signing sealed objects and for the kernel keyring.\n\n"
              "  --key FILE        private key to write (PEM)\n"
              "  --cert FILE       certificate to write (PEM)\n"
              "  --der FILE        also write the certificate as DER (for keyctl padd)\n"
              "  --subject DN      certificate subject, default \"CN=bpfseal signing key\"\n"
              "  --days N          validity in days, default 3650\n"
              "  --bits N          RSA key size, default 3072\n"
              "  --force           overwrite existing files\n");
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool parseUnsigned(const char *text, unsigned &out) {
  char *end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(text, &end, 10);
  if (errno || !end || *end || end == text || v > 1000000)
    return false;
  out = static_cast<unsigned>(v);
  return true;
}

} // namespace

int runKeygen(int argc, char **argv) {
  static const option kOptions[] = {
      {"key", required_argument, nullptr, 'k'},  {"cert", required_argument, nullptr, 'c'},
      {"der", required_argument, nullptr, 'd'},  {"subject", required_argument, nullptr, 's'},
      {"days", required_argument, nullptr, 'D'}, {"bits", required_argument, nullptr, 'b'},
      {"force", no_argument, nullptr, 'f'},      {"json", no_argument, nullptr, 'J'},
      {"help", no_argument, nullptr, 'h'},       {nullptr, 0, nullptr, 0}};
  std::string key_path, cert_path, der_path;
  signing::KeygenOptions opts;
  bool force = false;
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'k': key_path = optarg; break;
    case 'c': cert_path = optarg; break;
    case 'd': der_path = optarg; break;
    case 's': opts.subject = optarg; break;
    case 'D':
      if (!parseUnsigned(optarg, opts.days))
        return usageError(kCmd, std::string("--days needs a number, got '") + optarg + "'");
      break;
    case 'b':
      if (!parseUnsigned(optarg, opts.bits))
        return usageError(kCmd, std::string("--bits needs a number, got '") + optarg + "'");
      break;
    case 'f': force = true; break;
    case 'J': json = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (optind != argc)
    return usageError(kCmd, std::string("unexpected argument '") + argv[optind] + "'");
  if (key_path.empty() || cert_path.empty())
    return usageError(kCmd, "--key and --cert are required");

  std::vector<std::string> outputs = {key_path, cert_path};
  if (!der_path.empty())
    outputs.push_back(der_path);
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (outputs[i] == outputs[j])
        return usageError(kCmd, "'" + outputs[i] + "' is given for two outputs");
  if (!force)
    for (const std::string &path : outputs)
      if (exists(path))
        return reportError(kCmd, makeError(EEXIST, "'" + path + "' already exists",
                                           "pass --force to overwrite it"));

  auto material = signing::generateSigningKey(opts);
  if (!material)
    return reportError(kCmd, material.error());

  auto asBytes = [](const std::string &s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(s.data()), s.size());
  };
  // The key first and 0600 from its first byte (writeFileAtomic's temp file
  // is created 0600); on a later failure remove what was written.
  std::vector<std::string> written;
  auto fail = [&](const Error &e) {
    for (const std::string &path : written)
      ::unlink(path.c_str());
    return reportError(kCmd, e);
  };
  if (auto st = format::writeFileAtomic(key_path, asBytes(material->key_pem), 0600); !st)
    return fail(st.error());
  written.push_back(key_path);
  if (auto st = format::writeFileAtomic(cert_path, asBytes(material->cert_pem), 0644); !st)
    return fail(st.error());
  written.push_back(cert_path);
  if (!der_path.empty()) {
    if (auto st = format::writeFileAtomic(der_path, material->cert_der, 0644); !st)
      return fail(st.error());
  }
  if (json) {
    nlohmann::ordered_json j = {{"ok", true},
                                {"key", key_path},
                                {"bits", opts.bits},
                                {"cert", cert_path},
                                {"subject", material->subject},
                                {"key_id", material->key_id_hex}};
    if (!der_path.empty())
      j["cert_der"] = der_path;
    std::printf("%s\n", jsonText(j).c_str());
    return 0;
  }
  std::printf("key:  %s (RSA-%u, mode 0600)\ncert: %s%s%s\nsubject: %s\nkey id:  %s\n",
              printable(key_path).c_str(), opts.bits, printable(cert_path).c_str(),
              der_path.empty() ? "" : ", DER: ", printable(der_path).c_str(),
              printable(material->subject).c_str(), material->key_id_hex.c_str());
  return 0;
}

} // namespace bpfseal::cli

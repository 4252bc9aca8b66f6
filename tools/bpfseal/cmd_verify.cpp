// bpfseal verify: offline check of a sealed object: the hash chain (index,
// metadata, loaders, manifest; format::readSealed) and every loader's
// signature against trusted certificates.
#include "commands.h"

#include "bpfseal/format.h"
#include "bpfseal/sealer.h"
#include "bpfseal/signing.h"

#include <getopt.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "verify";

void printHelp() {
  std::printf(
      "usage: bpfseal verify SEALED.o --cert CERT [--cert CERT2...] [--ca-dir DIR] [--json]\n"
      "                      [--eku OID]... [--check-dates]\n\n"
      "Checks the hash chain and that every loader carries a valid signature by a\n"
      "trusted key. Certificates given with --cert are trusted as they are (pinned,\n"
      "like a key in a kernel keyring: no chain; dates only with --check-dates).\n"
      "With --ca-dir (CA certificates only) the signer certificate the signature\n"
      "carries must chain to one of them, every certificate within its dates.\n"
      "Either way the signer's keyUsage (if present) must allow digitalSignature\n"
      "and its extendedKeyUsage (if present) include codeSigning or an --eku OID.\n"
      "Exit 0 only when everything verifies; the report names each signer.\n");
}

nlohmann::ordered_json signerJson(const signing::SignerInfo &s) {
  return {{"subject", s.subject},   {"issuer", s.issuer}, {"serial", s.serial_hex},
          {"key_id", s.key_id_hex}, {"digest", s.digest}, {"trust", s.trust}};
}

} // namespace

int runVerify(int argc, char **argv) {
  static const option kOptions[] = {{"cert", required_argument, nullptr, 'c'},
                                    {"ca-dir", required_argument, nullptr, 'd'},
                                    {"json", no_argument, nullptr, 'j'},
                                    {"eku", required_argument, nullptr, 'E'},
                                    {"check-dates", no_argument, nullptr, 'T'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  std::vector<std::string> certs;
  std::string ca_dir;
  bool json = false;
  signing::TrustPolicy policy;
  int c;
  while ((c = getopt_long(argc, argv, "h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'c': certs.push_back(optarg); break;
    case 'd': ca_dir = optarg; break;
    case 'j': json = true; break;
    case 'E': policy.ekus.push_back(optarg); break;
    case 'T': policy.check_pinned_dates = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (argc - optind != 1)
    return usageError(kCmd, "expected exactly one sealed object");
  std::string input = argv[optind];

  nlohmann::ordered_json report = {{"file", input}};
  auto fail = [&](Error e) { return reportFailure(kCmd, e, report); };

  auto trust = signing::loadTrustStore(certs, ca_dir, policy);
  if (!trust)
    return fail(trust.takeError());
  auto read = readSealedFile(input, "the object is damaged or was modified after sealing");
  if (!read)
    return fail(read.takeError());
  const format::SealedObject *sealed = &read->sealed;
  report["object"] = sealed->manifest.object_name;
  report["metadata_sha256"] = format::hex(sealed->metadata_sha256);

  std::vector<signing::LoaderVerdict> verdicts;
  Status st = signing::verifySealed(*sealed, *trust, verdicts);
  nlohmann::ordered_json loaders = nlohmann::ordered_json::array();
  for (const auto &v : verdicts) {
    nlohmann::ordered_json l = {{"name", v.loader},
                                {"kind", std::string(format::loaderKindName(v.kind))},
                                {"payload_size", v.payload_size},
                                {"ok", v.ok}};
    // A signer is named only when verified; otherwise only the key id the
    // signature claims (never a subject from a certificate it carries).
    if (v.ok)
      l["signer"] = signerJson(v.signer);
    else if (!v.signer.key_id_hex.empty())
      l["claimed_key_id"] = v.signer.key_id_hex;
    if (!v.ok)
      l["error"] = v.error.str();
    loaders.push_back(std::move(l));
  }
  report["loaders"] = std::move(loaders);
  if (!st)
    return fail(st.takeError());
  // The signatures cover the loader and blob; that they are what `seal`
  // makes of this file's own ELF sections is checked by sealing them again.
  if (Status same = sealer::checkReproducible(*sealed); !same)
    return fail(same.takeError());
  report["reproduced"] = true;

  report["ok"] = true;
  if (json) {
    std::printf("%s\n", jsonText(report).c_str());
    return 0;
  }
  std::printf("%s: hash chain OK (metadata sha256 %s); loader and metadata re-derived from its "
              "ELF sections: identical\n",
              printable(input).c_str(), format::hex(sealed->metadata_sha256).c_str());
  for (const auto &v : verdicts)
    std::printf("  %-16s %-12s OK  signed by %s (key id %s, %s, %s)\n", printable(v.loader).c_str(),
                std::string(format::loaderKindName(v.kind)).c_str(),
                v.signer.subject.empty() ? "?" : printable(v.signer.subject).c_str(),
                v.signer.key_id_hex.c_str(), v.signer.digest.c_str(), v.signer.trust.c_str());
  return 0;
}

} // namespace bpfseal::cli

// bpfseal inspect: what a sealed object contains and who signed it, in the
// spirit of modinfo. Reads through format::readSealed, so a damaged object is
// reported, not described.
#include "commands.h"

#include "bpfseal/format.h"
#include "bpfseal/signing.h"

#include <getopt.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "inspect";
using ojson = nlohmann::ordered_json;

void printHelp() {
  std::printf(
      "usage: bpfseal inspect SEALED.o [--json] [--cert CERT...] [--ca-dir DIR]\n"
      "       [--eku OID]... [--check-dates]   (certificate policy as in bpfseal verify)\n\n"
      "Shows the object's programs, maps, baked values, loaders, metadata hash,\n"
      "signatures and the plugin's provenance. Without --cert/--ca-dir everything\n"
      "shown is what the file claims (marked unverified; a signature only names the\n"
      "key id it claims). With --cert/--ca-dir every loader's signature is verified\n"
      "first (as 'bpfseal verify') and marked verified, with the signer, or not, with\n"
      "the reason. Strings from the object are printed with control characters escaped.\n");
}

} // namespace

int runInspect(int argc, char **argv) {
  static const option kOptions[] = {{"json", no_argument, nullptr, 'j'},
                                    {"cert", required_argument, nullptr, 'c'},
                                    {"ca-dir", required_argument, nullptr, 'd'},
                                    {"eku", required_argument, nullptr, 'E'},
                                    {"check-dates", no_argument, nullptr, 'T'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  bool json = false;
  std::vector<std::string> certs;
  std::string ca_dir;
  signing::TrustPolicy policy;
  int c;
  while ((c = getopt_long(argc, argv, "h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'j': json = true; break;
    case 'c': certs.push_back(optarg); break;
    case 'd': ca_dir = optarg; break;
    case 'E': policy.ekus.push_back(optarg); break;
    case 'T': policy.check_pinned_dates = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (argc - optind != 1)
    return usageError(kCmd, "expected exactly one sealed object");
  std::string input = argv[optind];

  const bool verify = !certs.empty() || !ca_dir.empty();
  signing::TrustStore trust;
  if (verify) {
    auto t = signing::loadTrustStore(certs, ca_dir, policy);
    if (!t)
      return reportError(kCmd, t.error());
    trust = t.take();
  }
  auto read = readSealedFile(input);
  if (!read)
    return reportError(kCmd, read.error());
  const format::SealedObject *sealed = &read->sealed;
  const format::Manifest &m = sealed->manifest;
  auto meta = format::splitMetadata(sealed->metadata);
  if (!meta)
    return reportError(kCmd, meta.error());

  ojson units = ojson::array();
  try {
    units = ojson::parse(m.units_json);
  } catch (const std::exception &) {
    return reportError(kCmd, makeError(EBADMSG, input + ": unit manifests are not JSON"));
  }

  ojson j;
  j["file"] = input;
  j["object"] = m.object_name;
  j["version"] = m.object_version;
  j["format_version"] = m.format_version;
  j["tool_version"] = m.tool_version;
  j["license"] = m.license;
  // What binds the rest of the file to the manifest (readSealed checked it).
  j["file_digest"] = format::hex(m.file_digest);
  j["metadata"] = {{"size", sealed->metadata.size()},
                   {"blob_size", meta->blob.size()},
                   {"manifest_size", meta->manifest_json.size()},
                   {"sha256", format::hex(sealed->metadata_sha256)}};
  // Programs, maps and baked values exactly as the signed manifest holds them
  // (canonical JSON, already checked by readSealed).
  ojson manifest = ojson::parse(meta->manifest_json);
  for (const char *key : {"programs", "maps", "baked", "disabled_programs", "sections"})
    j[key] = manifest[key];
  if (manifest.contains("alternatives"))
    j["alternatives"] = manifest["alternatives"];
  // Verdicts only when trust anchors were given; otherwise nothing below is
  // called verified and no signer is named from unverified bytes.
  std::vector<signing::LoaderVerdict> verdicts;
  if (verify)
    (void)signing::verifySealed(*sealed, trust, verdicts);
  auto verdictFor = [&](const std::string &name) -> const signing::LoaderVerdict * {
    for (const auto &v : verdicts)
      if (v.loader == name)
        return &v;
    return nullptr;
  };
  j["verified"] = verify ? ojson(std::all_of(verdicts.begin(), verdicts.end(),
                                             [](const auto &v) { return v.ok; }) &&
                                 !verdicts.empty())
                         : ojson(nullptr);
  ojson loaders = ojson::array();
  for (const auto &l : sealed->loaders) {
    ojson lj = {{"name", l.info.name},
                {"kind", std::string(format::loaderKindName(l.info.kind))},
                {"insns", l.insns.size() / 8},
                {"signed_payload_size", format::signedPayload(*sealed, l).size()}};
    if (l.info.kind == format::LoaderKind::LoaderCheck)
      lj["layout"] = layoutJson(l.info.layout);
    lj["kernels"] = l.info.kernels;
    const signing::LoaderVerdict *v = verdictFor(l.info.name);
    if (l.signature.empty()) {
      lj["signature"] = nullptr;
    } else if (v && v->ok) {
      const signing::SignerInfo &s = v->signer;
      lj["signature"] = {{"size", l.signature.size()},
                         {"verified", true},
                         {"signer",
                          {{"subject", s.subject},
                           {"issuer", s.issuer},
                           {"serial", s.serial_hex},
                           {"key_id", s.key_id_hex},
                           {"trust", s.trust}}},
                         {"digest", s.digest}};
    } else {
      // What the CMS claims, from the signer identifier only: an embedded
      // certificate's subject is not shown, it proves nothing.
      ojson sj = {{"size", l.signature.size()}, {"verified", false}};
      if (auto s = signing::describeSignature(l.signature)) {
        sj["claimed_key_id"] = s->key_id_hex;
        sj["digest"] = s->digest;
      } else {
        sj["parse_error"] = s.error().str();
      }
      sj["reason"] = v ? v->error.str() : "not verified: no --cert/--ca-dir given";
      lj["signature"] = std::move(sj);
    }
    loaders.push_back(std::move(lj));
  }
  j["loaders"] = loaders;
  j["units"] = units;

  if (json) {
    // Strings from the object are valid UTF-8 (the manifest parser checks);
    // replace rather than throw should a path argument not be.
    std::printf("%s\n", jsonText(j).c_str());
    return 0;
  }

  auto str = [](const ojson &v) {
    return printable(v.is_string() ? v.get<std::string>()
                                   : v.dump(-1, ' ', false, ojson::error_handler_t::replace));
  };
  // Unit manifests are free-form JSON from the plugin: print what is there
  // whatever its type (ojson::value() throws on a type mismatch).
  auto text = [&](const ojson &obj, const char *key) {
    return obj.contains(key) ? str(obj[key]) : std::string("?");
  };
  auto p = [](const std::string &v) { return printable(v); };
  std::printf("file:          %s\n", p(input).c_str());
  std::printf("trust:         %s\n",
              !verify ? "UNVERIFIED: everything below is what the file claims (pass --cert or "
                        "--ca-dir to verify)"
              : j["verified"].get<bool>() ? "verified: every loader's signature checked"
                                          : "NOT verified: see each loader");
  std::printf("object:        %s version %llu\n", p(m.object_name).c_str(),
              static_cast<unsigned long long>(m.object_version));
  std::printf("format:        %u\n", m.format_version);
  std::printf("file digest:   sha256 %s over every byte but the metadata, loader and "
              "signature contents (%zu sections listed)\n",
              format::hex(m.file_digest).c_str(), m.sections.size());
  std::printf("tool version:  %s\n", p(m.tool_version).c_str());
  std::printf("license:       %s\n", p(m.license).c_str());
  std::printf("metadata:      %zu bytes (blob %zu, manifest %zu) sha256 %s\n",
              sealed->metadata.size(), meta->blob.size(), meta->manifest_json.size(),
              format::hex(sealed->metadata_sha256).c_str());
  std::printf("programs:      %zu\n", m.programs.size());
  for (const auto &p : m.programs)
    std::printf("  %-24s section=%s type=%s attach=%s source=%s%s%s\n", printable(p.name).c_str(),
                printable(p.section).c_str(), printable(p.type).c_str(),
                p.attach_type.empty() ? "-" : printable(p.attach_type).c_str(),
                p.source.empty() ? "-" : printable(p.source).c_str(),
                p.attach_target.empty() ? "" : " attach_target=",
                printable(p.attach_target).c_str());
  if (!m.disabled_programs.empty()) {
    std::printf("disabled:      %zu (sealed, not loaded)\n", m.disabled_programs.size());
    for (const auto &d : m.disabled_programs)
      std::printf("  %s\n", printable(d).c_str());
  }
  if (!m.alternatives.empty()) {
    std::printf("alternatives:  %zu groups; the load keeps the first whose programs the kernel all "
                "accepts and closes the others\n",
                m.alternatives.size());
    for (size_t i = 0; i < m.alternatives.size(); ++i) {
      std::string progs;
      for (const auto &p : m.alternatives[i].programs)
        progs += (progs.empty() ? "" : ", ") + printable(p);
      std::printf("  %zu. %-21s %s\n", i + 1, printable(m.alternatives[i].name).c_str(),
                  progs.c_str());
    }
  }
  std::printf("maps:          %zu\n", m.maps.size());
  for (const auto &mp : m.maps)
    std::printf("  %-24s type=%s key=%u value=%u max_entries=%u flags=0x%x%s\n",
                printable(mp.name).c_str(), printable(mp.type).c_str(), mp.key_size, mp.value_size,
                mp.max_entries, mp.flags, mp.internal ? " internal" : "");
  std::printf("baked values:  %zu\n", m.baked.size());
  for (const auto &b : m.baked)
    std::printf("  %-24s %s %s = %s (offset %u, size %u)\n", printable(b.name).c_str(),
                printable(b.section).c_str(), printable(b.type).c_str(), printable(b.value).c_str(),
                b.offset, b.size);
  std::printf("loaders:       %zu\n", sealed->loaders.size());
  for (const auto &lj : j["loaders"]) {
    const format::LoaderImage *l = sealed->findLoader(lj["name"].get<std::string>());
    std::printf("  %-24s kind=%s insns=%s signed_payload=%s\n", printable(l->info.name).c_str(),
                str(lj["kind"]).c_str(), str(lj["insns"]).c_str(),
                str(lj["signed_payload_size"]).c_str());
    if (l->info.kind == format::LoaderKind::LoaderCheck)
      std::printf("    layout:    %s\n", layoutText(l->info.layout).c_str());
    if (!l->info.kernels.empty())
      std::printf("    kernels:   %s\n", printable(l->info.kernels).c_str());
    const ojson &sig = lj["signature"];
    if (sig.is_null())
      std::printf("    signature: none (unsigned)\n");
    else if (sig["verified"].get<bool>())
      std::printf("    signature: verified: signed by %s key_id=%s serial=%s digest=%s "
                  "trust=%s (%s bytes)\n",
                  str(sig["signer"]["subject"]).c_str(), str(sig["signer"]["key_id"]).c_str(),
                  str(sig["signer"]["serial"]).c_str(), str(sig["digest"]).c_str(),
                  str(sig["signer"]["trust"]).c_str(), str(sig["size"]).c_str());
    else
      std::printf("    signature: UNVERIFIED: claims key_id=%s digest=%s (%s bytes); %s\n",
                  sig.contains("claimed_key_id") ? str(sig["claimed_key_id"]).c_str() : "?",
                  sig.contains("digest") ? str(sig["digest"]).c_str() : "?",
                  str(sig["size"]).c_str(), str(sig["reason"]).c_str());
  }
  // Signed with the rest, but written by the build (the plugin's unit
  // manifests): nothing checks it against the code, so it is labelled a claim.
  std::printf("provenance:    %zu unit%s (the build's own record; not checked against the code)\n",
              units.size(), units.size() == 1 ? "" : "s");
  for (const auto &u : units) {
    if (!u.is_object())
      continue;
    auto get = [&](const char *k) { return u.contains(k) ? str(u[k]) : std::string("-"); };
    std::printf("  %s sha256=%s compiler=\"%s\" plugin=%s license=%s\n", get("source").c_str(),
                get("source_sha256").c_str(), get("compiler").c_str(),
                get("plugin_version").c_str(), get("license").c_str());
    if (u.contains("programs") && u["programs"].is_array())
      for (const auto &p : u["programs"])
        if (p.is_object())
          std::printf("    program %s %s:%s\n", text(p, "function").c_str(),
                      text(p, "file").c_str(), text(p, "line").c_str());
  }
  return 0;
}

} // namespace bpfseal::cli

// checkReproducible (sealer.h): the signer's check that a sealed object's
// signed-but-not-digested parts (gen_loader blob, manifest, loader body) are
// what `seal` makes of the object's own ELF sections.
#include "bpfseal/internal/elf_image.h"
#include "bpfseal/sealer.h"
#include "bpfseal/version.h"

namespace bpfseal::sealer {
namespace {

constexpr char kHint[] =
    "sign only objects sealed by 'bpfseal seal' and not changed since, on the machine that sealed "
    "them (typeless __ksym and --allow-kconfig values come from the sealing machine); re-seal the "
    "object from its BPF source and sign that";

Error differs(const std::string &what) {
  return makeError(EKEYREJECTED,
                   "sealed object is not what 'bpfseal seal' makes of its own ELF sections: " +
                       what + " differs (changed after sealing, before signing)",
                   kHint);
}

// The settings the manifest records, as SealOptions.
SealOptions optionsOf(const format::Manifest &m) {
  SealOptions o;
  o.object_name = m.object_name;
  o.object_version = m.object_version;
  o.builtin_layouts = false;
  // An object sealed with --allow-kconfig has externs libbpf resolved on the
  // sealing machine; resolving them again here must give the same values.
  o.allow_kconfig = true;
  for (const format::BakedValue &b : m.baked)
    o.sets.push_back(b.name + "=" + b.value);
  for (const format::MapInfo &mi : m.maps)
    if (!mi.internal && mi.max_entries)
      o.max_entries.push_back(mi.name + "=" + std::to_string(mi.max_entries));
  o.disabled = m.disabled_programs;
  for (const format::ProgramInfo &p : m.programs)
    if (!p.attach_target.empty())
      o.attach_targets.push_back(p.name + "=" + p.attach_target);
  for (const format::AlternativeGroup &g : m.alternatives) {
    std::string list;
    for (const std::string &p : g.programs)
      list += (list.empty() ? "" : ",") + p;
    o.alternatives.push_back(g.name + "=" + list);
  }
  for (const format::LoaderInfo &l : m.loaders)
    if (l.kind == format::LoaderKind::LoaderCheck)
      o.layouts.push_back({l.name.substr(3), l.layout, l.kernels}); // "lc-<name>"
  return o;
}

// The manifest without what depends on the file's layout (the digests).
std::string comparable(format::Manifest m) {
  m.file_digest = {};
  m.sections.clear();
  return format::serializeManifest(m);
}

} // namespace

Status checkReproducible(const format::SealedObject &sealed) {
  const format::Manifest &m = sealed.manifest;
  if (m.tool_version != BPFSEAL_VERSION_STRING)
    return makeError(ENOTSUP,
                     "sealed by bpfseal " + format::escapeText(m.tool_version) + ", this is " +
                         BPFSEAL_VERSION_STRING + ": cannot re-derive its loader to check it",
                     "sign with the bpfseal release that sealed it, or re-seal with this one");

  // The ELF the sealer was given: every section before the appended
  // .bpfseal.* ones (.bpfseal.unit is the plugin's, part of the input).
  auto img = format::elf::open(sealed.file);
  if (!img)
    return img.takeError();
  std::vector<std::string> appended = {format::kIndexSection, format::kMetadataSection};
  for (const format::LoaderInfo &l : m.loaders) {
    appended.push_back(format::kLoaderSectionPrefix + l.name);
    appended.push_back(format::kSignatureSectionPrefix + l.name);
  }
  auto base = format::elf::rewrite(*img, {}, {}, appended);
  if (!base)
    return base.takeError();

  // Only names the sealer gives ("lc-<layout name>"): anything else was not
  // made by `seal` (and the layout name below is what follows "lc-").
  for (const format::LoaderInfo &l : m.loaders) {
    bool sealers_name = l.kind == format::LoaderKind::KernelCheck
                            ? l.name == "kernel-check"
                            : l.name.size() > 3 && l.name.rfind("lc-", 0) == 0;
    if (!sealers_name)
      return differs("loader name '" + format::escapeText(l.name) + "'");
  }
  auto again = sealObject(*base, optionsOf(m));
  if (!again) {
    Error e = again.takeError();
    e.msg = "cannot seal the object's own ELF sections again to check it: " + e.msg;
    return e;
  }
  auto resealed = format::readSealed(*again);
  if (!resealed)
    return resealed.takeError();
  if (comparable(resealed->manifest) != comparable(m))
    return differs("the signed manifest");
  auto blob = format::splitMetadata(sealed.metadata);
  auto blob_again = format::splitMetadata(resealed->metadata);
  if (!blob || !blob_again ||
      !std::equal(blob->blob.begin(), blob->blob.end(), blob_again->blob.begin(),
                  blob_again->blob.end()))
    return differs("the gen_loader blob (program instructions, BTF, map definitions, data)");
  const format::LoaderImage *kc = sealed.findLoader("kernel-check");
  const format::LoaderImage *kc_again = resealed->findLoader("kernel-check");
  if (!kc || !kc_again || kc->insns != kc_again->insns)
    return differs("the loader body");
  return ok();
}

} // namespace bpfseal::sealer

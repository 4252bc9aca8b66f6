// Loading a sealed object: the mode policy. Kernel mode lets the kernel
// verify; user-space mode verifies every CMS here; auto tries kernel and falls
// back (with trust anchors) to user space. Which loader runs with which map
// binding is decided here; running it is loader_run.cpp, the words of errors
// load_errors.cpp. Every failure path leaves nothing behind: the loader closes
// what it created when it fails, and everything user space holds is a UniqueFd.
#include "bpfseal/signing.h"
#include "bpfseal/timings.h"
#include "load_errors.h"
#include "load_libbpf.h"
#include "loader_run.h"
#include "object_impl.h"
#include "probe.h"
#include "trust_cache.h"

#include <chrono>

namespace bpfseal {
namespace {

std::string signerText(const signing::SignerInfo &signer) {
  std::string who = signer.subject.empty() ? "issuer " + signer.issuer : "cert " + signer.subject;
  if (!signer.key_id_hex.empty())
    who += ", key id " + signer.key_id_hex.substr(0, 16);
  return who;
}

// Kernel mode: the kernel verifies the signature at BPF_PROG_LOAD. Sets
// *kernel_accepted once a signed load succeeded: failures after that are
// about the object, not about verification, and auto mode must not fall back.
Result<LoadReport> loadKernel(const format::SealedObject &sealed, const LoadOptions &options,
                              const KernelSupport &ks, LoadedFds &out, bool *kernel_accepted) {
  *kernel_accepted = false;
  if (!ks.signing_uapi)
    return makeError(
        EOPNOTSUPP,
        "kernel mode: the kernel has no BPF signing UAPI (no signature/keyring_id in bpf_attr)",
        "use --mode userspace --cert CERT");
  if (Status keyring = sys::checkKeyring(options.keyring_id); !keyring) {
    Error e = keyring.takeError();
    e.msg = "kernel mode: " + e.msg;
    return e;
  }
  const format::LoaderImage *kc = sealed.findLoader("kernel-check");
  const format::LoaderImage *lc = matchingLoaderCheck(sealed, ks);
  Error last = makeError(ENOKEY, "kernel mode: the object has no signed loader",
                         "sign it: bpfseal sign --key KEY --cert CERT app.sealed.o");
  std::string tried;
  if (kc && !kc->signature.empty()) {
    Attempt a{kc, true, ks.exclusive_maps, ks.map_hash, true};
    AttemptFailure failure;
    auto fds = runAttempt(sealed, a, options, failure);
    *kernel_accepted = failure.loader_ran;
    if (fds) {
      out = fds.take();
      LoadReport r;
      r.level = VerificationLevel::KernelVerified;
      r.loader = kc->info.name;
      r.keyring_id = options.keyring_id;
      r.description = "kernel-verified (keyring " + keyringName(options.keyring_id) +
                      ", loader kernel-check: signature over loader and metadata checked at load)";
      return r;
    }
    last = fds.takeError();
    int err = last.err;
    // Only a scheme mismatch makes the other flavor worth trying: each
    // kernel rejects the form it does not implement with one of these.
    if (!failure.at_signature || (err != EKEYREJECTED && err != EACCES))
      return last;
    tried = "kernel-check (" + errnoName(err) + ")";
  }
  if (!lc) {
    if (!tried.empty() || !kc) {
      std::string why =
          ks.layout
              ? "no loader-check variant of the object matches this kernel's struct bpf_map layout"
              : "this kernel has no usable struct bpf_map layout: " + ks.layout_error;
      return makeError(
          ENOENT,
          "kernel mode: " + (tried.empty() ? std::string() : "kernel-check was refused, and ") +
              why,
          "re-seal with 'bpfseal seal --kernel-btf /sys/kernel/btf/vmlinux'; 'bpfseal probe' shows the layout");
    }
    return last;
  }
  if (lc->signature.empty())
    return makeError(ENOKEY, "kernel mode: loader '" + lc->info.name + "' is not signed",
                     "sign the object: bpfseal sign --key KEY --cert CERT app.sealed.o");
  Attempt a{lc, true, true, true, false};
  AttemptFailure failure;
  auto fds = runAttempt(sealed, a, options, failure);
  *kernel_accepted = failure.loader_ran;
  if (!fds) {
    Error e = fds.takeError();
    // Both forms refused at the signature: neither scheme accepts this
    // object as signed. The kernel-check refusal is the meaningful one on
    // load-time kernels, the loader-check one on 6.18-scheme kernels; say both.
    if (!tried.empty() && failure.at_signature && (e.err == EKEYREJECTED || e.err == EACCES))
      return makeError(
          EKEYREJECTED,
          "kernel mode: the kernel refused both loader forms, " + tried + " and " + lc->info.name +
              " (" + errnoName(e.err) +
              "): the signature does not match this object (modified after signing, or "
              "signed for another object)",
          "re-seal and re-sign the object; check it with 'bpfseal verify --cert CERT'");
    return e;
  }
  out = fds.take();
  LoadReport r;
  r.level = VerificationLevel::KernelVerified;
  r.loader = lc->info.name;
  r.keyring_id = options.keyring_id;
  r.description = "kernel-verified (keyring " + keyringName(options.keyring_id) + ", loader " +
                  lc->info.name + (tried.empty() ? "" : "; " + tried + " refused first") +
                  "), metadata hash checked in kernel";
  return r;
}

// Which path creates the programs: the caller's choice, else the loader
// where this kernel can run one. Empty: the loader path.
std::string libbpfPathReason(const LoadOptions &options, const KernelSupport &ks) {
  if (options.path == LoadPath::Libbpf)
    return "requested (--path libbpf)";
  if (options.path == LoadPath::Loader || ks.runsLoader())
    return "";
  if (ks.syscall_prog_errno)
    return "this kernel cannot run a loader: BPF_PROG_TYPE_SYSCALL refused (" +
           errnoName(ks.syscall_prog_errno) + ")";
  return "this kernel cannot run a loader: no CO-RE relocation at BPF_PROG_LOAD (core_relos unknown)";
}

// The libbpf path, after the signatures were verified: the ELF inside the
// sealed file is what libbpf loads, so it must be covered by what was
// verified. Format v2's signed manifest carries the digest of the whole file
// and format::readSealed refused any file that does not match it; a v1 file
// signs only the loaders and metadata, so its ELF is refused here.
Result<LoadReport> loadUserspaceLibbpf(std::span<const uint8_t> file,
                                       const format::SealedObject &sealed,
                                       const LoadOptions &options,
                                       const signing::SignerInfo &signer, const std::string &reason,
                                       LoadedFds &out) {
  if (sealed.manifest.format_version < 2)
    return makeError(
        EPROTONOSUPPORT,
        "the libbpf path needs a format v2 object (its signature covers the whole file); this "
        "object is format v" +
            std::to_string(sealed.manifest.format_version) +
            ", whose signature does not cover the ELF libbpf would load",
        "re-seal and re-sign the object with this bpfseal, or use --path loader on a kernel that runs it");
  timings::Stopwatch phase;
  if (!sealed.manifest.alternatives.empty())
    return makeError(
        EOPNOTSUPP,
        "the object has alternative program groups, which only the loader path chooses "
        "between; the libbpf path would load every group",
        "load it with --path loader on a kernel that runs loaders (5.17+), or seal one "
        "object per kernel kind without --alternative");
  auto fds = loadElfWithLibbpf(file, sealed.manifest, options);
  phase.record("libbpf open, relocate, load");
  if (!fds)
    return fds.takeError();
  out = fds.take();
  LoadReport r;
  r.level = VerificationLevel::UserspaceVerified;
  r.path = LoadPath::Libbpf;
  r.path_reason = reason;
  r.loader = "none (libbpf)";
  r.signer_subject = signer.subject;
  r.signer_key_id = signer.key_id_hex;
  r.description =
      "user-space verified (" + signerText(signer) +
      "; signature of loader kernel-check, whose signed manifest's file digest covers the ELF), CO-RE in user space: libbpf relocated "
      "and loaded the ELF (" +
      reason + "); nothing checked in the kernel";
  return r;
}

// A loader the kernel refused on a kernel whose probe already said it cannot
// run one (the loader path asked for explicitly): name that cause.
Error loaderPathUnavailable(Error e, const KernelSupport &ks) {
  if (ks.runsLoader())
    return e;
  e.msg += ": this kernel cannot run a loader program (" +
           (ks.syscall_prog_errno
                ? "BPF_PROG_TYPE_SYSCALL refused with " + errnoName(ks.syscall_prog_errno)
                : std::string("no CO-RE relocation at BPF_PROG_LOAD")) +
           ")";
  e.hint = "use --path auto or --path libbpf (CO-RE in user space)";
  return e;
}

// verifyLoader(), or the verdict the same trust store gave for the same
// signed bytes and signature earlier in this process (trust_cache.h).
signing::LoaderVerdict verifyCached(const format::SealedObject &sealed,
                                    const format::LoaderImage &loader,
                                    const signing::TrustStore &trust) {
  timings::Stopwatch phase;
  SignedBytes key{format::sha256(loader.insns),
                  loader.info.kind == format::LoaderKind::KernelCheck ? sealed.metadata_sha256
                                                                      : format::Sha256{},
                  loader.signature};
  if (auto signer = recallVerdict(trust, key)) {
    signing::LoaderVerdict v;
    v.loader = loader.info.name;
    v.kind = loader.info.kind;
    v.ok = true;
    v.signer = std::move(*signer);
    phase.record("signature check " + loader.info.name +
                 ": verified earlier in this process (same signed bytes, signature and "
                 "trust store)");
    return v;
  }
  signing::LoaderVerdict v = signing::verifyLoader(sealed, loader, trust);
  phase.record("signature check " + loader.info.name);
  if (v.ok)
    rememberVerdict(trust, std::move(key), v.signer);
  return v;
}

// User-space mode: the one signature the chosen path relies on is checked
// here, then that loader runs unsigned (or, on the libbpf path, libbpf loads
// the ELF). Which loader is decided first, from the kernel's facts; format::
// readSealed already bound every byte of the file to the metadata, and the
// chosen loader's signature covers that metadata (kernel-check: insns ||
// metadata; lc-*: insns whose prologue embeds SHA-256(metadata)), so one
// verified signature covers the whole file. The other loaders' signatures
// are not checked here ('bpfseal verify' checks every one); the report names
// the loader whose signature was verified.
Result<LoadReport> loadUserspace(std::span<const uint8_t> file, const format::SealedObject &sealed,
                                 const LoadOptions &options, const KernelSupport &ks,
                                 LoadedFds &out) {
  if (options.trusted_certs.empty() && options.ca_dir.empty())
    return makeError(EINVAL, "user-space verification needs trusted certificates",
                     "pass --cert CERT (the signer's certificate) or --ca-dir DIR");
  for (const format::LoaderImage &l : sealed.loaders)
    if (l.signature.empty())
      return makeError(ENOKEY,
                       "the object is not signed (loader '" + l.info.name + "' has no signature)",
                       "sign it: bpfseal sign --key KEY --cert CERT app.sealed.o");

  const format::LoaderImage *kc = sealed.findLoader("kernel-check");
  std::string libbpf_reason = libbpfPathReason(options, ks);
  const format::LoaderImage *lc = nullptr;
  const format::LoaderImage *chosen = kc;
  if (!libbpf_reason.empty()) {
    // The kernel-check signature covers insns || metadata, and with them the manifest.
    if (!kc)
      return makeError(
          ENOENT,
          "the libbpf path needs the object's kernel-check loader (its signature covers the "
          "manifest), which it does not have",
          "re-seal the object with this bpfseal");
  } else {
    lc = ks.map_hash && ks.exclusive_maps ? matchingLoaderCheck(sealed, ks) : nullptr;
    chosen = lc ? lc : kc;
    if (!chosen)
      return makeError(
          ENOENT,
          "no loader of the object can run here: no kernel-check loader and no loader-check "
          "variant for this kernel's struct bpf_map layout",
          "re-seal with 'bpfseal seal --kernel-btf /sys/kernel/btf/vmlinux'");
  }

  timings::Stopwatch phase;
  auto trust = cachedTrustStore(options.trusted_certs, options.ca_dir);
  phase.record("trust store");
  if (!trust)
    return trust.takeError();
  signing::LoaderVerdict verdict = verifyCached(sealed, *chosen, **trust);
  if (!verdict.ok) {
    Error e = std::move(verdict.error);
    e.msg = "user-space verification failed: " + e.msg;
    if (e.hint.empty())
      e.hint =
          "the object was modified after signing, or signed by a key you did not trust; check with 'bpfseal verify --cert CERT'";
    return e;
  }
  const signing::SignerInfo &signer = verdict.signer;
  if (!libbpf_reason.empty())
    return loadUserspaceLibbpf(file, sealed, options, signer, libbpf_reason, out);

  LoadReport r;
  r.signer_subject = signer.subject;
  r.signer_key_id = signer.key_id_hex;
  r.loader = chosen->info.name;
  AttemptFailure failure;
  if (lc) {
    Attempt a{lc, false, true, true, false};
    auto fds = runAttempt(sealed, a, options, failure);
    if (!fds)
      return loaderPathUnavailable(fds.takeError(), ks);
    out = fds.take();
    r.level = VerificationLevel::UserspaceVerifiedKernelHash;
    r.description = "user-space verified (" + signerText(signer) + "; signature of loader " +
                    lc->info.name + "), metadata hash checked in kernel by loader " + lc->info.name;
    return r;
  }
  Attempt a{kc, false, ks.exclusive_maps, ks.map_hash && ks.exclusive_maps, false};
  auto fds = runAttempt(sealed, a, options, failure);
  if (!fds)
    return loaderPathUnavailable(fds.takeError(), ks);
  out = fds.take();
  r.level = VerificationLevel::UserspaceVerified;
  r.description =
      "user-space verified (" + signerText(signer) +
      "; signature of loader kernel-check), metadata hash checked in user space only (no "
      "loader-check variant for this kernel; loader kernel-check, " +
      (ks.exclusive_maps ? "exclusive" : "plain") + " metadata map)";
  return r;
}

} // namespace

Result<LoadReport> loadSealed(std::span<const uint8_t> file, const format::SealedObject &sealed,
                              const LoadOptions &options, LoadedFds &out) {
  auto start = std::chrono::steady_clock::now();
  std::vector<timings::Phase> phases;
  timings::Collector collect(phases);
  timings::Stopwatch probe;
  const KernelSupport &ks = loadSupport();
  probe.record("kernel probe");
  Result<LoadReport> report = makeError(EINVAL, "unreachable");
  switch (options.mode) {
  case LoadMode::Kernel: {
    if (options.path == LoadPath::Libbpf)
      return makeError(
          EOPNOTSUPP,
          "kernel mode cannot use the libbpf path: only a signed loader lets the kernel "
          "verify what it loads",
          "use --path loader (or auto) with --mode kernel, or --mode userspace --cert CERT");
    bool accepted = false;
    report = loadKernel(sealed, options, ks, out, &accepted);
    break;
  }
  case LoadMode::Userspace: report = loadUserspace(file, sealed, options, ks, out); break;
  case LoadMode::Auto: {
    bool accepted = false;
    // The libbpf path cannot be kernel-verified: auto goes straight to user space.
    if (options.path == LoadPath::Libbpf)
      report =
          makeError(EOPNOTSUPP, "kernel verification needs the loader path (--path libbpf given)");
    else
      report = loadKernel(sealed, options, ks, out, &accepted);
    if (report)
      break;
    Error kernel_error = report.takeError();
    if (accepted) // the kernel verified the signature; the object itself failed
      return kernel_error;
    bool anchors = !options.trusted_certs.empty() || !options.ca_dir.empty();
    if (!anchors) {
      kernel_error.msg = "auto mode: " + kernel_error.msg;
      kernel_error.hint = "pass --cert CERT to allow the fallback to user-space verification";
      return kernel_error;
    }
    report = loadUserspace(file, sealed, options, ks, out);
    if (report)
      report->fallback = "auto: kernel verification unavailable (" + errnoName(kernel_error.err) +
                         ": " + kernel_error.msg + "); fell back to user-space verification";
    break;
  }
  }
  if (report) {
    report->mode = options.mode;
    report->alternative = out.alternative;
    report->alternative_note = out.alternative_note;
    report->load_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    for (timings::Phase &p : phases)
      report->phases.push_back({std::move(p.name), p.ms});
  }
  return report;
}

} // namespace bpfseal

// Loading a sealed object: choose the mode's loader, verify what the mode
// says is verified here, create the metadata map, load and run the loader,
// and collect the fds it made. Every failure path leaves nothing behind: the
// loader closes what it created when it fails, and everything user space
// holds is a UniqueFd.
#include "bpfseal/signing.h"
#include "object_impl.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <chrono>
#include <cstring>

namespace bpfseal {
namespace {

constexpr size_t kCtxHeaderSize = 24; // struct bpf_loader_ctx
constexpr size_t kMapDescSize = 16;   // struct bpf_map_desc
constexpr size_t kProgDescSize = 4;   // struct bpf_prog_desc

struct Attempt {
  const format::LoaderImage *loader = nullptr;
  bool kernel_signed = false; // pass the signature + keyring_id to the kernel
  bool exclusive = false;     // metadata map exclusive to the loader's digest
  bool hash = false;          // have the kernel compute map->sha
  bool bind_fd_array_cnt = false;
};

struct AttemptFailure {
  bool at_signature = false; // the signed BPF_PROG_LOAD itself failed
  bool in_prologue = false;  // a loader-check prologue refused the metadata map
  bool loader_ran = false;   // the loader was accepted and ran (signature, if any, passed)
  bool diagnosed = false;    // the cause is known: a retry with a verifier log adds nothing
};

// What a loader-check prologue's verdict means (docs/FORMAT.md). Verdicts
// are positive and only the prologue returns them: the gen_loader body
// returns 0 or the -errno of the kernel call that failed.
Error prologueError(const format::LoaderImage &loader, int verdict) {
  const std::string n = "loader '" + loader.info.name + "'";
  switch (static_cast<format::PrologueVerdict>(verdict)) {
  case format::PrologueVerdict::WrongLayout:
    return makeError(ENOEXEC, n + " refused to run (prologue verdict 1): its struct bpf_map layout does not fit this "
                              "kernel (type/key/value size/max_entries at its offsets are not the metadata map's)",
                     "re-seal with 'bpfseal seal --kernel-btf /sys/kernel/btf/vmlinux'; 'bpfseal probe' shows this kernel's layout");
  case format::PrologueVerdict::HashMismatch:
    return makeError(EKEYREJECTED, n + " refused the metadata (prologue verdict 2): the kernel's map->sha differs from the "
                                   "SHA-256(metadata) signed into the loader (metadata changed after signing)",
                     "re-seal and re-sign the object; check it with 'bpfseal verify --cert CERT'");
  case format::PrologueVerdict::NotExclusive:
    return makeError(EPERM, n + " refused the metadata map (prologue verdict 3): it is not exclusive to the loader "
                            "(map->excl unset, or excl_prog_sha NULL or all zero)",
                     "libbpfseal creates it with excl_prog_hash = the loader's digest, so this kernel did not record it; "
                     "run 'bpfseal probe' and use --mode userspace on this kernel");
  }
  return makeError(EPROTO, n + " returned " + std::to_string(verdict) +
                               ", which is neither 0, a -errno nor a prologue verdict",
                   "the object's loader is not one bpfseal made; re-seal the object");
}

std::string loaderSignatureCause(int err, int32_t keyring) {
  switch (err) {
  case EOPNOTSUPP:
    return "the kernel cannot verify signatures (built without CONFIG_SYSTEM_DATA_VERIFICATION)";
  case E2BIG:
    return "the kernel has no BPF signing UAPI (signature/keyring_id unknown to it)";
  case ENOKEY:
    return "no key in keyring " + keyringName(keyring) + " matches the signer";
  case EKEYREJECTED:
    return "the kernel rejected the signature (tampered loader or metadata, or signed by another key)";
  case EBADMSG:
    return "the kernel could not parse the signature (malformed CMS)";
  case EINVAL:
    return "the kernel refused the signed load (keyring " + keyringName(keyring) +
           " does not exist, or the signature size is invalid)";
  case EACCES:
    return "the kernel refused this loader flavor (signature scheme or map binding does not match)";
  case EPERM:
    return "the kernel refused the metadata map binding (not exclusive or not frozen), or "
           "missing privileges";
  default:
    return "the kernel refused the signed loader";
  }
}

std::string loaderSignatureHint(int err) {
  switch (err) {
  case EOPNOTSUPP:
  case E2BIG:
    return "use --mode userspace --cert CERT (or --mode auto with --cert), or a kernel that verifies BPF signatures";
  case ENOKEY:
    return "add the signing certificate to the keyring (bpfseal keygen --keyring, or keyctl padd asymmetric NAME @s < cert.der) or choose it with --keyring";
  case EINVAL:
    return "check --keyring: session, user, builtin, secondary, platform, .bpf or a keyring serial";
  case EKEYREJECTED:
  case EBADMSG:
    return "re-seal and re-sign the object; check it with 'bpfseal verify --cert CERT'";
  default:
    return "run 'bpfseal probe' to see what this kernel supports";
  }
}

std::vector<uint8_t> makeCtx(const format::Manifest &manifest, uint32_t log_level,
                             std::vector<char> &log) {
  size_t size = kCtxHeaderSize + kMapDescSize * manifest.maps.size() +
                kProgDescSize * manifest.programs.size();
  std::vector<uint8_t> ctx(size, 0);
  uint32_t header[4] = {static_cast<uint32_t>(size), 0, 0, 0};
  uint64_t log_buf = 0;
  if (log_level && !log.empty()) {
    header[2] = log_level;
    header[3] = static_cast<uint32_t>(log.size());
    log_buf = reinterpret_cast<uintptr_t>(log.data());
  }
  std::memcpy(ctx.data(), header, sizeof(header));
  std::memcpy(ctx.data() + 16, &log_buf, sizeof(log_buf));
  return ctx;
}

bool isBpfObject(int fd, bool prog) {
  if (fd <= 0)
    return false;
  if (prog) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
  }
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
}

// Takes ownership of every fd the loader wrote into the ctx. Any fd that is
// not what it should be is an error (and the ones already taken are closed).
Result<LoadedFds> collectFds(const format::Manifest &manifest, std::span<const uint8_t> ctx) {
  LoadedFds fds;
  std::vector<int> raw;
  size_t n_maps = manifest.maps.size();
  for (size_t i = 0; i < n_maps + manifest.programs.size(); ++i) {
    size_t off = i < n_maps ? kCtxHeaderSize + kMapDescSize * i
                            : kCtxHeaderSize + kMapDescSize * n_maps + kProgDescSize * (i - n_maps);
    int32_t fd;
    std::memcpy(&fd, ctx.data() + off, sizeof(fd));
    raw.push_back(fd);
  }
  // Own first (so nothing leaks whatever happens next), then check.
  for (size_t i = 0; i < raw.size(); ++i) {
    bool is_map = i < n_maps;
    int fd = raw[i];
    bool valid = isBpfObject(fd, !is_map);
    if (valid)
      (is_map ? fds.maps : fds.progs).emplace_back(fd);
    else
      (is_map ? fds.maps : fds.progs).emplace_back(-1);
  }
  for (size_t i = 0; i < n_maps; ++i)
    if (!fds.maps[i].valid())
      return makeError(EPROTO, "the loader reported no fd for map '" + manifest.maps[i].name + "'",
                       "the loader and the manifest disagree; re-seal the object");
  for (size_t i = 0; i < manifest.programs.size(); ++i)
    if (!fds.progs[i].valid())
      return makeError(EPROTO,
                       "the loader reported no fd for program '" + manifest.programs[i].name + "'",
                       "the loader and the manifest disagree; re-seal the object");
  return fds;
}

Result<LoadedFds> runAttemptOnce(const format::SealedObject &sealed, const Attempt &attempt,
                                 const LoadOptions &options, uint32_t log_level,
                                 std::string *log_out, AttemptFailure &failure) {
  const format::LoaderImage &loader = *attempt.loader;
  format::Sha256 digest = format::sha256(loader.insns);
  sys::MetadataMapOptions map_options;
  map_options.exclusive_to = attempt.exclusive ? &digest : nullptr;
  map_options.compute_hash = attempt.hash;
  auto map = sys::createMetadataMap(sealed.metadata, map_options);
  if (!map)
    return map.takeError();

  sys::LoaderLoadOptions load_options;
  load_options.insns = loader.insns;
  load_options.metadata_map_fd = map->get();
  load_options.bind_fd_array_cnt = attempt.bind_fd_array_cnt;
  if (attempt.kernel_signed) {
    load_options.signature = loader.signature;
    load_options.keyring_id = options.keyring_id;
  }
  auto prog = sys::loadLoader(load_options);
  if (!prog) {
    int err = prog.error().err;
    if (attempt.kernel_signed) {
      failure.at_signature = true;
      return makeError(err, "kernel verification of loader '" + loader.info.name + "' failed: " +
                                loaderSignatureCause(err, options.keyring_id),
                       loaderSignatureHint(err));
    }
    // An unsigned loader the verifier refuses: show why.
    std::vector<char> log(1u << 16, 0);
    load_options.log_buf = log.data();
    load_options.log_size = static_cast<uint32_t>(log.size());
    (void)sys::loadLoader(load_options); // fails again, this time with a log
    std::string tail = trimVerifierLog(log.data());
    return makeError(err, "the kernel refused loader '" + loader.info.name + "'" +
                              (tail.empty() ? "" : ": verifier: " + tail),
                     loader.info.kind == format::LoaderKind::LoaderCheck
                         ? "this loader-check variant does not fit the running kernel; run 'bpfseal probe'"
                         : "run 'bpfseal probe' to see what this kernel supports");
  }

  std::vector<char> log;
  if (log_level)
    log.assign(options.log_size ? options.log_size : (1u << 20), 0);
  std::vector<uint8_t> ctx = makeCtx(sealed.manifest, log_level, log);
  auto rv = sys::runLoader(prog->get(), ctx);
  if (!rv)
    return rv.takeError();
  failure.loader_ran = true;
  if (*rv > 0) {
    // A prologue verdict: the cause is known, a verifier log adds nothing.
    failure.in_prologue = true;
    return prologueError(loader, *rv);
  }
  if (*rv < 0) {
    int err = -*rv;
    if (log_out && !log.empty())
      *log_out = std::string(log.data(), strnlen(log.data(), log.size()));
    // The kernel refused a program or map the loader creates. libbpf's
    // loader moves fds into the context only on success, so the context
    // cannot say which one; the verifier log (runAttempt's retry) can. A
    // kernel that refuses trampolines outright ('bpfseal probe') is named.
    const KernelSupport &ks = kernelSupport();
    if (err == EPERM && ks.trampoline_errno == EPERM)
      for (const format::ProgramInfo &p : sealed.manifest.programs)
        if (p.type == "tracing" || p.type == "lsm" || p.type == "ext") {
          failure.diagnosed = true;
          return makeError(EPERM, "loader '" + loader.info.name + "' failed (EPERM): this kernel refuses "
                                  "fentry/fexit/fmod_ret/lsm programs (a trivial fentry program gets EPERM), "
                                  "and the object has '" + p.name + "' (" + p.section + ")",
                           "attach to a tracepoint or raw tracepoint instead, or use a kernel with BPF "
                           "trampolines; 'bpfseal probe' shows it");
        }
    return makeError(err, "loader '" + loader.info.name + "' failed (" + errnoName(err) +
                              "): the kernel refused a program or map of the object",
                     "");
  }
  return collectFds(sealed.manifest, ctx);
}

Result<LoadedFds> runAttempt(const format::SealedObject &sealed, const Attempt &attempt,
                             const LoadOptions &options, AttemptFailure &failure) {
  std::string log;
  auto fds = runAttemptOnce(sealed, attempt, options, options.log_level, &log, failure);
  if (fds || !failure.loader_ran || failure.in_prologue || failure.diagnosed) {
    if (!fds && options.log_level && !log.empty()) {
      Error e = fds.takeError();
      e.msg += "; verifier log (end): " + trimVerifierLog(log);
      return e;
    }
    return fds;
  }
  Error first = fds.takeError();
  if (options.log_level) {
    std::string tail = trimVerifierLog(log);
    if (!tail.empty())
      first.msg += "; verifier log (end): " + tail;
    return first;
  }
  // The loader ran and failed: run it once more with a verifier log so the
  // error can say which program the kernel refused and why.
  AttemptFailure ignored;
  auto again = runAttemptOnce(sealed, attempt, options, 1, &log, ignored);
  if (again) // cannot normally happen; do not keep a load the caller saw fail
    return first;
  std::string tail = trimVerifierLog(log);
  if (!tail.empty()) {
    first.msg += "; verifier log (end): " + tail;
    first.hint = "fix the BPF program the log points at, rebuild and re-seal";
  } else if (first.hint.empty()) {
    first.hint = "run 'bpfseal probe'; check 'dmesg' and the object's program types";
  }
  return first;
}

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
    return makeError(EOPNOTSUPP, "kernel mode: the kernel has no BPF signing UAPI (no signature/keyring_id in bpf_attr)",
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
      std::string why = ks.layout ? "no loader-check variant of the object matches this kernel's struct bpf_map layout"
                                  : "this kernel has no usable struct bpf_map layout: " + ks.layout_error;
      return makeError(ENOENT, "kernel mode: " + (tried.empty() ? std::string() : "kernel-check was refused, and ") + why,
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
      return makeError(EKEYREJECTED,
                       "kernel mode: the kernel refused both loader forms, " + tried + " and " +
                           lc->info.name + " (" + errnoName(e.err) +
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

// User-space mode: every loader's signature is checked here (a flipped byte
// in any signed section rejects the object, whichever loader runs), then
// the strongest loader this kernel can run is loaded unsigned.
Result<LoadReport> loadUserspace(const format::SealedObject &sealed, const LoadOptions &options,
                                 const KernelSupport &ks, LoadedFds &out) {
  if (options.trusted_certs.empty() && options.ca_dir.empty())
    return makeError(EINVAL, "user-space verification needs trusted certificates",
                     "pass --cert CERT (the signer's certificate) or --ca-dir DIR");
  for (const format::LoaderImage &l : sealed.loaders)
    if (l.signature.empty())
      return makeError(ENOKEY, "the object is not signed (loader '" + l.info.name + "' has no signature)",
                       "sign it: bpfseal sign --key KEY --cert CERT app.sealed.o");
  auto trust = signing::loadTrustStore(options.trusted_certs, options.ca_dir);
  if (!trust)
    return trust.takeError();
  std::vector<signing::LoaderVerdict> verdicts;
  if (Status st = signing::verifySealed(sealed, *trust, verdicts); !st) {
    Error e = st.takeError();
    e.msg = "user-space verification failed: " + e.msg;
    if (e.hint.empty())
      e.hint = "the object was modified after signing, or signed by a key you did not trust; check with 'bpfseal verify --cert CERT'";
    return e;
  }

  const format::LoaderImage *kc = sealed.findLoader("kernel-check");
  const format::LoaderImage *lc =
      ks.map_hash && ks.exclusive_maps ? matchingLoaderCheck(sealed, ks) : nullptr;
  const format::LoaderImage *run = lc ? lc : kc;
  if (!run)
    return makeError(ENOENT, "no loader of the object can run here: no kernel-check loader and no loader-check "
                             "variant for this kernel's struct bpf_map layout",
                     "re-seal with 'bpfseal seal --kernel-btf /sys/kernel/btf/vmlinux'");
  const signing::SignerInfo *signer = nullptr;
  for (const auto &v : verdicts)
    if (v.loader == run->info.name)
      signer = &v.signer;
  if (!signer)
    return makeError(EPROTO, "no verdict for loader '" + run->info.name + "'");

  LoadReport r;
  r.signer_subject = signer->subject;
  r.signer_key_id = signer->key_id_hex;
  r.loader = run->info.name;
  AttemptFailure failure;
  if (lc) {
    Attempt a{lc, false, true, true, false};
    auto fds = runAttempt(sealed, a, options, failure);
    if (!fds)
      return fds.takeError();
    out = fds.take();
    r.level = VerificationLevel::UserspaceVerifiedKernelHash;
    r.description = "user-space verified (" + signerText(*signer) +
                    "), metadata hash checked in kernel by loader " + lc->info.name;
    return r;
  }
  Attempt a{kc, false, ks.exclusive_maps, ks.map_hash && ks.exclusive_maps, false};
  auto fds = runAttempt(sealed, a, options, failure);
  if (!fds)
    return fds.takeError();
  out = fds.take();
  r.level = VerificationLevel::UserspaceVerified;
  r.description = "user-space verified (" + signerText(*signer) +
                  "), metadata hash checked in user space only (no loader-check variant for this kernel; "
                  "loader kernel-check, " +
                  (ks.exclusive_maps ? "exclusive" : "plain") + " metadata map)";
  return r;
}

} // namespace

std::string trimVerifierLog(std::string_view log, size_t lines) {
  std::vector<std::string_view> kept;
  size_t end = log.size();
  while (end > 0 && kept.size() < lines) {
    size_t start = log.rfind('\n', end - 1);
    size_t from = start == std::string_view::npos ? 0 : start + 1;
    std::string_view line = log.substr(from, end - from);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == '\0'))
      line.remove_suffix(1);
    // The totals the verifier prints last say nothing about the cause, and
    // neither does the dump of BTF the loader loads first ("[12] DATASEC ...",
    // "\ttype_id=7 offset=0 size=8", header fields).
    auto btfDump = [](std::string_view l) {
      if (l.size() > 1 && l[0] == '[' && l[1] >= '0' && l[1] <= '9')
        return true;
      std::string_view t = l.substr(std::min(l.find_first_not_of(" \t"), l.size()));
      for (const char *prefix : {"type_id=", "magic: ", "version: ", "flags: ", "hdr_len: ", "type_off: ",
                                 "type_len: ", "str_off: ", "str_len: ", "btf_total_size: "})
        if (t.starts_with(prefix))
          return true;
      return false;
    };
    if (!line.empty() && line.find("processed ") != 0 && line.find("verification time") != 0 &&
        line.find("stack depth") != 0 && !btfDump(line))
      kept.push_back(line);
    if (start == std::string_view::npos)
      break;
    end = start;
  }
  std::string out;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    if (!out.empty())
      out += " | ";
    out += *it;
  }
  return out;
}

Result<LoadReport> loadSealed(const format::SealedObject &sealed, const LoadOptions &options,
                              LoadedFds &out) {
  auto start = std::chrono::steady_clock::now();
  const KernelSupport &ks = kernelSupport();
  Result<LoadReport> report = makeError(EINVAL, "unreachable");
  switch (options.mode) {
  case LoadMode::Kernel:
  {
    bool accepted = false;
    report = loadKernel(sealed, options, ks, out, &accepted);
    break;
  }
  case LoadMode::Userspace:
    report = loadUserspace(sealed, options, ks, out);
    break;
  case LoadMode::Auto: {
    bool accepted = false;
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
    report = loadUserspace(sealed, options, ks, out);
    if (report)
      report->fallback = "auto: kernel verification unavailable (" + errnoName(kernel_error.err) + ": " +
                         kernel_error.msg + "); fell back to user-space verification";
    break;
  }
  }
  if (report) {
    report->mode = options.mode;
    report->load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  return report;
}

} // namespace bpfseal

// Running one loader (loader_run.h): the metadata map, the loader's own
// BPF_PROG_LOAD, its run, and the one retry with a verifier log.
#include "loader_run.h"
#include "bpfseal/timings.h"
#include "load_errors.h"
#include "loader_ctx.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bpfseal {
namespace {

Result<LoadedFds> runAttemptOnce(const format::SealedObject &sealed, const Attempt &attempt,
                                 const LoadOptions &options, uint32_t log_level,
                                 std::string *log_out, AttemptFailure &failure) {
  const format::LoaderImage &loader = *attempt.loader;
  format::Sha256 digest = format::sha256(loader.insns);
  sys::MetadataMapOptions map_options;
  map_options.exclusive_to = attempt.exclusive ? &digest : nullptr;
  map_options.expect_hash = attempt.hash ? &sealed.metadata_sha256 : nullptr;
  timings::Stopwatch phase;
  auto map = sys::createMetadataMap(sealed.metadata, map_options);
  phase.record("metadata map");
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
  phase.record("loader load " + loader.info.name);
  if (!prog) {
    int err = prog.error().err;
    if (attempt.kernel_signed) {
      failure.at_signature = true;
      return makeError(err,
                       "kernel verification of loader '" + loader.info.name +
                           "' failed: " + loaderSignatureCause(err, options.keyring_id),
                       loaderSignatureHint(err));
    }
    // An unsigned loader the verifier refuses: show why.
    std::vector<char> log(1u << 16, 0);
    load_options.log_buf = log.data();
    load_options.log_size = static_cast<uint32_t>(log.size());
    (void)sys::loadLoader(load_options); // fails again, this time with a log
    std::string tail = trimVerifierLog(log.data());
    return makeError(
        err,
        "the kernel refused loader '" + loader.info.name + "'" +
            (tail.empty() ? "" : ": verifier: " + tail),
        loader.info.kind == format::LoaderKind::LoaderCheck
            ? "this loader-check variant does not fit the running kernel; run 'bpfseal probe'"
            : "run 'bpfseal probe' to see what this kernel supports");
  }

  std::vector<char> log;
  if (log_level)
    log.assign(options.log_size ? options.log_size : (1u << 20), 0);
  std::vector<uint8_t> ctx = makeLoaderCtx(sealed.manifest, log_level, log);
  auto rv = sys::runLoader(prog->get(), ctx);
  phase.record("loader run");
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
          return makeError(
              EPERM,
              "loader '" + loader.info.name +
                  "' failed (EPERM): this kernel refuses "
                  "fentry/fexit/fmod_ret/lsm programs (a trivial fentry program gets EPERM), "
                  "and the object has '" +
                  p.name + "' (" + p.section + ")",
              "attach to a tracepoint or raw tracepoint instead, or use a kernel with BPF "
              "trampolines; 'bpfseal probe' shows it");
        }
    if (std::optional<Error> cause = diagnoseLoaderFailure(sealed.manifest, err)) {
      failure.diagnosed = true;
      cause->msg = "loader '" + loader.info.name + "' failed: " + cause->msg;
      return *cause;
    }
    return makeError(err,
                     "loader '" + loader.info.name + "' failed (" + errnoName(err) +
                         "): the kernel refused a program or map of the object",
                     "");
  }
  auto fds = collectLoaderFds(sealed.manifest, ctx);
  phase.record("collect fds");
  prog->reset(); // the loader and the metadata map are no longer needed
  map->reset();
  phase.record("loader teardown");
  // Its errors name the cause (e.g. no alternative group accepted whole): a
  // rerun's verifier log would be the last accepted program's.
  failure.diagnosed = !fds;
  return fds;
}

// Whether `log` holds the verifier's account of a program: an instruction
// ("12: (85) call ..."), a function ("func#0 @0") or the totals. The loader's
// log also collects what BTF loading prints (a type dump), which says
// nothing about a refused map or attach target and must not be shown as one.
bool isVerifierLog(std::string_view log) {
  for (size_t start = 0; start < log.size();) {
    size_t end = std::min(log.find('\n', start), log.size());
    std::string_view line = log.substr(start, end - start);
    size_t digits = 0;
    while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9')
      ++digits;
    if ((digits > 0 && digits < line.size() && line[digits] == ':') || line.starts_with("func#") ||
        line.starts_with("processed "))
      return true;
    start = end + 1;
  }
  return false;
}

} // namespace

Result<LoadedFds> runAttempt(const format::SealedObject &sealed, const Attempt &attempt,
                             const LoadOptions &options, AttemptFailure &failure) {
  std::string log;
  auto fds = runAttemptOnce(sealed, attempt, options, options.log_level, &log, failure);
  if (fds || !failure.loader_ran || failure.in_prologue || failure.diagnosed) {
    if (!fds && options.log_level && isVerifierLog(log)) {
      Error e = fds.takeError();
      e.msg += "; verifier log (end): " + trimVerifierLog(log);
      return e;
    }
    return fds;
  }
  Error first = fds.takeError();
  if (options.log_level) {
    std::string tail = trimVerifierLog(log);
    if (!tail.empty() && isVerifierLog(log))
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
  if (!tail.empty() && isVerifierLog(log)) {
    first.msg += "; verifier log (end): " + tail;
    first.hint = "fix the BPF program the log points at, rebuild and re-seal";
  } else if (first.hint.empty()) {
    first.hint = "run 'bpfseal probe'; check 'dmesg' and the object's program types";
  }
  return first;
}

} // namespace bpfseal

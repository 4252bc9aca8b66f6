// bpfseal load: verify, load and attach a sealed object, print what was
// verified and attached, then hold it until SIGINT/SIGTERM (or --duration)
// and detach cleanly. All the work is libbpfseal's (bpfseal/bpfseal.hpp).
#include "commands.h"

#include "bpfseal/bpfseal.hpp"
#include "bpfseal/timings.h"

#include <getopt.h>
#include <linux/magic.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "load";

void printHelp() {
  std::printf(
      "usage: bpfseal load SEALED.o [--mode auto|kernel|userspace] [--cert CERT]...\n"
      "                    [--ca-dir DIR] [--keyring ID] [--pin DIR] [--target PROG=TARGET]...\n"
      "                    [--no-attach] [--json] [--exit-after-load | --duration SECONDS]\n"
      "                    [--log-level N] [--path auto|loader|libbpf] [--btf FILE]\n"
      "                    [--expect-name NAME] [--min-version N] [--timings]\n\n"
      "Verifies and loads a sealed object, attaches every program by its section,\n"
      "prints the verification level and the attachments, and holds them until\n"
      "SIGINT or SIGTERM, then detaches.\n\n"
      "  --mode M          kernel: the kernel checks the signature (--keyring);\n"
      "                    userspace: libbpfseal checks it against --cert/--ca-dir;\n"
      "                    auto (default): kernel, else userspace if trust anchors were given\n"
      "  --cert CERT       trusted signer certificate (PEM/DER), repeatable\n"
      "  --ca-dir DIR      directory of CA certificates a signer must chain to\n"
      "  --keyring ID      session (default), user, builtin, secondary, platform, .bpf, or a serial\n"
      "  --target P=T      attach target of program P: interface (xdp, tc: IFACE[:egress]),\n"
      "                    cgroup directory (cgroup/*), BINARY:FUNCTION (uprobe),\n"
      "                    BINARY:PROVIDER:NAME[@PID] (usdt)\n"
      "  --pin DIR         pin programs, maps and links under DIR/{progs,maps,links} (bpffs);\n"
      "                    pinned links stay attached after exit\n"
      "  --no-attach       load only\n"
      "  --exit-after-load exit (detaching) right after loading, attaching and pinning\n"
      "  --duration S      hold for S seconds, then detach and exit\n"
      "  --log-level N     verifier log level for the object's programs on failure\n"
      "  --path P          loader: the signed loader creates the programs in the kernel;\n"
      "                    libbpf: libbpf relocates (CO-RE in user space) and loads the\n"
      "                    verified ELF, user-space verification only (kernels before 5.17);\n"
      "                    auto (default): loader where the kernel can run it\n"
      "  --btf FILE        kernel BTF for the libbpf path where /sys/kernel/btf/vmlinux is missing\n"
      "  --expect-name N   refuse an object whose signed name is not N (nothing is created)\n"
      "  --min-version N   refuse an object whose signed version is below N (rollback)\n"
      "  --json            machine-readable report on stdout\n"
      "  --timings         print the phases of the load and their times (read+parse, kernel\n"
      "                    probe, trust store, signature checks, metadata map, loader load,\n"
      "                    loader run, teardown); in --json as \"timings\"\n");
}

std::string levelWords(VerificationLevel level) {
  switch (level) {
  case VerificationLevel::KernelVerified: return "signature verified by the kernel";
  case VerificationLevel::UserspaceVerifiedKernelHash:
    return "signature verified in user space, metadata hash checked in kernel";
  case VerificationLevel::UserspaceVerified:
    return "signature and metadata hash verified in user space";
  }
  return "?";
}

// Waits for SIGINT/SIGTERM (blocked by the caller), or `seconds` if >= 0.
// Returns the signal number, or 0 on timeout.
int waitForSignal(const sigset_t &set, double seconds) {
  for (;;) {
    int sig;
    if (seconds < 0) {
      sig = sigwaitinfo(&set, nullptr);
    } else {
      timespec ts{static_cast<time_t>(seconds),
                  static_cast<long>((seconds - static_cast<time_t>(seconds)) * 1e9)};
      sig = sigtimedwait(&set, nullptr, &ts);
      if (sig < 0 && errno == EAGAIN)
        return 0;
    }
    if (sig > 0)
      return sig;
    if (errno != EINTR)
      return 0;
  }
}

// --pin DIR, checked before anything is loaded: DIR (or, when it does not
// exist yet, its parent) is a writable directory on bpffs, and none of the
// pins this object would make exists already.
Status checkPinDir(const std::string &dir, const format::Manifest &m) {
  auto bad = [&](int err, const std::string &why, const std::string &hint) {
    return makeError(err, "--pin " + dir + ": " + why, hint);
  };
  struct stat st{};
  std::string probe = dir;
  bool exists = ::stat(dir.c_str(), &st) == 0;
  if (exists && !S_ISDIR(st.st_mode))
    return bad(ENOTDIR, "not a directory", "give a directory under /sys/fs/bpf");
  if (!exists) {
    if (errno != ENOENT)
      return bad(errno, "cannot be examined", "");
    auto slash = dir.find_last_of('/');
    probe = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
    if (::stat(probe.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return bad(ENOENT, "neither it nor its parent directory exists",
                 "create the parent under /sys/fs/bpf first (only DIR itself is created)");
  }
  struct statfs fs{};
  if (::statfs(probe.c_str(), &fs) != 0)
    return bad(errno, "cannot be examined", "");
  // Under an unmounted /sys/fs/bpf the runtime mounts bpffs itself (as
  // libbpf-based tools do): only there is a non-bpffs answer not final.
  struct statfs root{};
  bool unmounted_default = (dir == "/sys/fs/bpf" || dir.rfind("/sys/fs/bpf/", 0) == 0) &&
                           ::statfs("/sys/fs/bpf", &root) == 0 &&
                           static_cast<long>(root.f_type) != static_cast<long>(BPF_FS_MAGIC);
  if (unmounted_default)
    return ok();
  if (static_cast<long>(fs.f_type) != static_cast<long>(BPF_FS_MAGIC))
    return bad(EINVAL, std::string(exists ? "is" : "would be") + " not on a BPF file system",
               "pin under /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)");
  if (::access(probe.c_str(), W_OK | X_OK) != 0)
    return bad(errno, "not writable", "run as root or choose another directory");
  if (exists) {
    auto pinName = [](std::string name) {
      for (char &c : name)
        if (c == '.' || c == '/')
          c = '_';
      return name;
    };
    auto taken = [&](const std::string &sub, const std::string &name) {
      std::string path = dir + "/" + sub + "/" + pinName(name);
      return ::access(path.c_str(), F_OK) == 0 ? path : std::string();
    };
    for (const auto &p : m.programs)
      for (const char *sub : {"progs", "links"})
        if (std::string path = taken(sub, p.name); !path.empty())
          return bad(EEXIST, path + " exists already", "remove the old pins first (rm -r DIR)");
    for (const auto &mp : m.maps)
      if (std::string path = taken("maps", mp.name); !path.empty())
        return bad(EEXIST, path + " exists already", "remove the old pins first (rm -r DIR)");
  }
  return ok();
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

nlohmann::ordered_json phasesJson(const std::vector<LoadPhase> &phases) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const LoadPhase &p : phases)
    out.push_back({{"phase", p.name}, {"ms", p.ms}});
  return out;
}

} // namespace

int runLoad(int argc, char **argv) {
  enum {
    kPin = 256,
    kNoAttach,
    kExitAfterLoad,
    kDuration,
    kLogLevel,
    kCaDir,
    kPath,
    kBtf,
    kExpectName,
    kMinVersion,
    kTimings
  };
  static const option kOptions[] = {{"mode", required_argument, nullptr, 'm'},
                                    {"cert", required_argument, nullptr, 'c'},
                                    {"ca-dir", required_argument, nullptr, kCaDir},
                                    {"keyring", required_argument, nullptr, 'k'},
                                    {"pin", required_argument, nullptr, kPin},
                                    {"target", required_argument, nullptr, 't'},
                                    {"no-attach", no_argument, nullptr, kNoAttach},
                                    {"json", no_argument, nullptr, 'j'},
                                    {"exit-after-load", no_argument, nullptr, kExitAfterLoad},
                                    {"duration", required_argument, nullptr, kDuration},
                                    {"log-level", required_argument, nullptr, kLogLevel},
                                    {"path", required_argument, nullptr, kPath},
                                    {"btf", required_argument, nullptr, kBtf},
                                    {"expect-name", required_argument, nullptr, kExpectName},
                                    {"min-version", required_argument, nullptr, kMinVersion},
                                    {"timings", no_argument, nullptr, kTimings},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  LoadOptions lo;
  AttachOptions ao;
  std::string pin_dir;
  bool attach = true, json = false, exit_after_load = false, timings = false;
  double duration = -1;
  int c;
  while ((c = getopt_long(argc, argv, "h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'm': {
      auto mode = parseLoadMode(optarg);
      if (!mode)
        return usageError(kCmd, mode.error().msg);
      lo.mode = *mode;
      break;
    }
    case 'c': lo.trusted_certs.push_back(optarg); break;
    case kCaDir: lo.ca_dir = optarg; break;
    case 'k': {
      auto id = parseKeyring(optarg);
      if (!id)
        return usageError(kCmd, id.error().msg);
      lo.keyring_id = *id;
      break;
    }
    case kPin: pin_dir = optarg; break;
    case 't': {
      std::string t = optarg;
      size_t eq = t.find('=');
      if (eq == std::string::npos || eq == 0)
        return usageError(kCmd, "--target wants PROG=TARGET, got '" + t + "'");
      ao.targets[t.substr(0, eq)] = t.substr(eq + 1);
      break;
    }
    case kNoAttach: attach = false; break;
    case 'j': json = true; break;
    case kExitAfterLoad: exit_after_load = true; break;
    case kTimings: timings = true; break;
    case kDuration: {
      char *end = nullptr;
      duration = std::strtod(optarg, &end);
      if (!end || *end || duration < 0)
        return usageError(kCmd, std::string("--duration wants seconds, got '") + optarg + "'");
      break;
    }
    case kLogLevel: lo.log_level = static_cast<uint32_t>(std::strtoul(optarg, nullptr, 10)); break;
    case kPath: {
      auto path = parseLoadPath(optarg);
      if (!path)
        return usageError(kCmd, path.error().msg);
      lo.path = *path;
      break;
    }
    case kBtf: lo.btf_path = optarg; break;
    case kExpectName:
      lo.expect_name = optarg;
      if (lo.expect_name.empty())
        return usageError(kCmd, "--expect-name needs a non-empty name");
      break;
    case kMinVersion: {
      char *end = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(optarg, &end, 10);
      if (!*optarg || *end || errno || optarg[0] == '-')
        return usageError(kCmd, "--min-version needs a decimal number from 0 to 2^64-1");
      lo.min_version = v;
      break;
    }
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (argc - optind != 1)
    return usageError(kCmd, "expected exactly one sealed object");
  if (!attach && !ao.targets.empty())
    return usageError(kCmd, "--target makes no sense with --no-attach");
  std::string input = argv[optind];

  nlohmann::ordered_json report = {{"file", input}};
  auto fail = [&](const Error &e) { return reportFailure(kCmd, e, report); };

  // Block the signals we wait for before anything is loaded, so one that
  // arrives early is not lost and never kills us with links half made.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);

  // Reading and parsing record their own phases (file read, parse, digests,
  // loader checks); the load adds its phases after them.
  std::vector<timings::Phase> read_phases;
  auto obj = [&] {
    timings::Collector collect(read_phases);
    return Object::openFile(input);
  }();
  if (!obj)
    return fail(obj.error());
  std::vector<LoadPhase> phases;
  for (timings::Phase &p : read_phases)
    phases.push_back({std::move(p.name), p.ms});
  // Every argument that can be checked without the kernel is checked before
  // anything is loaded, attached or pinned (issue 8.7).
  const format::Manifest &manifest = obj->sealed().manifest;
  for (const auto &[prog, target] : ao.targets) {
    bool known = false;
    for (const auto &p : manifest.programs)
      known |= p.name == prog;
    if (!known)
      return fail(makeError(ENOENT,
                            "--target " + prog + "=" + target + ": the object has no program '" +
                                prog + "'",
                            "bpfseal inspect lists its programs"));
    if (target.empty())
      return fail(makeError(
          EINVAL, "--target " + prog + "=: empty target",
          "an interface, a cgroup directory, BINARY:FUNCTION or BINARY:PROVIDER:NAME[@PID]"));
  }
  if (!pin_dir.empty())
    if (Status st = checkPinDir(pin_dir, manifest); !st)
      return fail(st.error());
  auto loaded = obj->load(lo);
  if (!loaded)
    return fail(loaded.error());
  const LoadReport &r = *loaded;
  report["object"] = r.object_name;
  report["version"] = r.object_version;
  report["mode"] = std::string(loadModeName(r.mode));
  report["level"] = std::string(verificationLevelName(r.level));
  report["level_words"] =
      levelWords(r.level) +
      (r.path == LoadPath::Libbpf ? " (CO-RE in user space: libbpf loaded the ELF)" : "");
  report["level_text"] = levelText(r);
  report["path"] = std::string(loadPathName(r.path));
  if (!r.path_reason.empty())
    report["path_reason"] = r.path_reason;
  report["description"] = r.description;
  report["loader"] = r.loader;
  if (!r.fallback.empty())
    report["fallback"] = r.fallback;
  // Alternative groups: which one was kept and why the ones before it were not.
  std::string alt_why = r.alternative_note.empty()
                            ? "the first group: the kernel accepted all of its programs"
                            : r.alternative_note;
  if (!r.alternative.empty())
    report["alternative"] = {{"kept", r.alternative}, {"why", alt_why}};
  if (!r.signer_subject.empty() || !r.signer_key_id.empty())
    report["signer"] = {{"subject", r.signer_subject}, {"key_id", r.signer_key_id}};
  if (r.level == VerificationLevel::KernelVerified)
    report["keyring"] = keyringName(r.keyring_id);
  report["load_ms"] = r.load_ms;
  phases.insert(phases.end(), r.phases.begin(), r.phases.end());
  if (!json) {
    std::printf("loaded %s (%zu programs, %zu maps) in %.2f ms; signed object %s version %llu\n",
                printable(input).c_str(), obj->programs().size(), obj->maps().size(), r.load_ms,
                printable(r.object_name).c_str(),
                static_cast<unsigned long long>(r.object_version));
    std::printf("verification: %s: %s\n", levelText(r).c_str(), printable(r.description).c_str());
    if (!r.fallback.empty())
      std::printf("note: %s\n", printable(r.fallback).c_str());
    if (timings)
      for (const LoadPhase &p : phases)
        std::printf("  timing %-40s %9.3f ms\n", printable(p.name).c_str(), p.ms);
    if (!r.alternative.empty())
      std::printf("alternative: kept group '%s' (%s); the other groups' programs are closed\n",
                  printable(r.alternative).c_str(), printable(alt_why).c_str());
  }

  nlohmann::ordered_json programs = nlohmann::ordered_json::array();
  if (attach) {
    auto results = obj->attachAll(ao);
    if (!results)
      return fail(results.error());
    for (const AttachResult &a : *results) {
      programs.push_back({{"name", a.program},
                          {"section", a.section},
                          {"attached", a.attached},
                          {"description", a.description}});
      if (!json)
        std::printf("  %-24s %-32s %s\n", printable(a.program).c_str(),
                    printable(a.section).c_str(), printable(a.description).c_str());
    }
  } else {
    for (const Program &p : obj->programs()) {
      programs.push_back({{"name", p.name()},
                          {"section", p.section()},
                          {"attached", false},
                          {"description", "not attached (--no-attach)"}});
      if (!json)
        std::printf("  %-24s %-32s loaded, not attached (--no-attach)\n",
                    printable(p.name()).c_str(), printable(p.section()).c_str());
    }
  }
  report["programs"] = std::move(programs);
  nlohmann::ordered_json maps = nlohmann::ordered_json::array();
  for (const Map &m : obj->maps())
    maps.push_back({{"name", m.name()}, {"type", m.info().type}});
  report["maps"] = std::move(maps);

  if (!pin_dir.empty()) {
    Status pinned = obj->pin(pin_dir);
    if (!pinned)
      return fail(pinned.error());
    report["pinned"] = pin_dir;
    if (!json)
      std::printf("pinned under %s/{progs,maps,links}\n", printable(pin_dir).c_str());
  }
  report["ok"] = true;
  // With --timings and --exit-after-load the report waits for the teardown's time.
  bool json_after_teardown = json && timings && exit_after_load;
  if (json && !json_after_teardown) {
    if (timings)
      report["timings"] = phasesJson(phases);
    std::printf("%s\n", jsonText(report).c_str());
  }
  std::fflush(stdout);

  if (!exit_after_load) {
    if (!json) {
      if (duration >= 0)
        std::printf("holding for %g s\n", duration);
      else
        std::printf("holding; SIGINT or SIGTERM detaches and exits\n");
      std::fflush(stdout);
    }
    int sig = waitForSignal(set, duration);
    if (!json)
      std::fprintf(stderr, "bpfseal load: %s; detaching\n",
                   sig ? (sig == SIGINT ? "SIGINT" : "SIGTERM") : "duration elapsed");
  }
  size_t links = obj->links().size();
  auto teardown_start = std::chrono::steady_clock::now();
  obj->detachAll();
  {
    Object released = obj.take();
  } // closes every program and map (pins keep theirs)
  phases.push_back({"teardown (detach, close)", msSince(teardown_start)});
  if (json_after_teardown) {
    report["timings"] = phasesJson(phases);
    std::printf("%s\n", jsonText(report).c_str());
  }
  if (!json && timings)
    std::printf("  timing %-40s %9.3f ms\n", phases.back().name.c_str(), phases.back().ms);
  if (!json) {
    if (pin_dir.empty())
      std::printf("detached %zu link%s; closed programs and maps\n", links, links == 1 ? "" : "s");
    else
      std::printf("released %zu link%s; pinned objects under %s stay until removed (rm -r %s)\n",
                  links, links == 1 ? "" : "s", printable(pin_dir).c_str(),
                  printable(pin_dir).c_str());
  }
  return 0;
}

} // namespace bpfseal::cli

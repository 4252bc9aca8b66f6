// bpfseal_bench: load time of a signed load against its floor, the unsigned
// light skeleton of the same object, and against plain libbpf, in the two
// settings users live in (bench/README.md):
//
//   cold  a fresh process per load, timed from spawn to exit by this driver:
//         the bpfseal CLI (and its static build), the minimal libbpfseal
//         program, the one-shot lskel program, `bpftool prog loadall`, the
//         one-shot libbpf program;
//   warm  repeated loads in one process (the helpers' --warm N): libbpfseal,
//         lskel, libbpf; each block's first load is dropped.
//
// Every variant runs once per round, the order rotating between rounds, so
// no variant always follows the same neighbour. Medians, p10/p90 and ratios
// of medians to the lskel and to libbpf are printed; nothing is asserted.
//
// --scaling adds, per object, the time of `bpfseal seal` and `bpfseal sign`
// and the warm loads per program and per 1000 instructions.
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

extern char **environ;

namespace {

using Clock = std::chrono::steady_clock;

struct BenchObject {
  std::string name, linked, sealed, lskel;
  std::string lskel_signed; // the lskel after one OpenSSL CMS check (optional)
  size_t programs = 0, insns = 0;
};

struct Config {
  std::string cert, key, mode = "userspace";
  std::string cli, cli_static, bpftool, libbpf_helper, bpfseal_helper;
  std::vector<BenchObject> objects;
  int rounds = 20;
  int warm = 20;
  bool scaling = false;
  std::string work_dir = "/tmp";
};

struct RunResult {
  bool ok = false;
  double ms = 0;
  std::string out, err;
};

std::string slurp(const std::string &path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Spawns argv with stdout and stderr in files, waits, returns the wall time
// from just before the spawn to the reaped exit.
RunResult run(const std::vector<std::string> &argv, const Config &cfg,
              const std::vector<std::string> &extra_env = {}) {
  RunResult r;
  std::string out_path = cfg.work_dir + "/bench.out", err_path = cfg.work_dir + "/bench.err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char **e = environ; *e; ++e)
    env_storage.emplace_back(*e);
  for (const std::string &e : extra_env)
    env_storage.push_back(e);
  std::vector<char *> env;
  for (std::string &e : env_storage)
    env.push_back(e.data());
  env.push_back(nullptr);

  pid_t pid;
  auto start = Clock::now();
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = std::string("spawn ") + args[0] + ": " + std::strerror(rc);
    return r;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

struct Stats {
  double median = 0, p10 = 0, p90 = 0;
};

Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double p) { return v[std::min(v.size() - 1, size_t(p * (v.size() - 1) + 0.5))]; };
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.p10 = at(0.1);
  s.p90 = at(0.9);
  return s;
}

struct Variant {
  Variant(std::string l, std::vector<std::string> a, bool w = false, std::string pin = {})
      : label(std::move(l)), argv(std::move(a)), warm(w), pin_dir(std::move(pin)) {}
  std::string label;
  std::vector<std::string> argv;
  bool warm = false;     // argv takes --warm N after argv[0]
  std::string pin_dir;   // removed after each run (bpftool loadall)
  std::string skipped;   // why a baseline cannot load this object (not measured)
  std::vector<double> samples;
};

bool runVariant(Variant &v, const Config &cfg) {
  std::vector<std::string> argv = v.argv;
  if (v.warm) {
    argv.insert(argv.begin() + 1, {"--warm", std::to_string(cfg.warm + 1)});
  }
  RunResult r = run(argv, cfg, {"BENCH_MODE=" + cfg.mode});
  if (!v.pin_dir.empty())
    std::filesystem::remove_all(v.pin_dir);
  if (!r.ok) {
    std::fprintf(stderr, "bench: %s failed: %s\n", v.label.c_str(), r.err.c_str());
    return false;
  }
  if (!v.warm) {
    v.samples.push_back(r.ms);
    return true;
  }
  std::istringstream lines(r.out);
  double ms;
  bool first = true;
  while (lines >> ms) {
    if (!first) // the first load of a process is the cold one
      v.samples.push_back(ms);
    first = false;
  }
  return true;
}

const Variant *find(const std::vector<Variant> &vs, const std::string &label) {
  for (const Variant &v : vs)
    if (v.label == label)
      return &v;
  return nullptr;
}

void printTable(const std::string &title, const std::vector<Variant> &vs, const char *floor,
                const char *libbpf) {
  const Variant *fl = find(vs, floor), *lb = find(vs, libbpf);
  double flm = fl ? stats(fl->samples).median : 0, lbm = lb ? stats(lb->samples).median : 0;
  std::printf("\n%s\n", title.c_str());
  std::printf("  %-34s %5s %9s %9s %9s %8s %8s\n", "variant", "n", "median", "p10", "p90", "/lskel",
              "/libbpf");
  for (const Variant &v : vs) {
    if (!v.skipped.empty()) {
      std::printf("  %-34s   n/a: %s\n", v.label.c_str(), v.skipped.c_str());
      continue;
    }
    Stats s = stats(v.samples);
    // A ratio to a baseline that did not run is "-", never 0.
    auto ratio = [&](double base) {
      char buf[16];
      if (base > 0)
        std::snprintf(buf, sizeof buf, "%8.2f", s.median / base);
      else
        std::snprintf(buf, sizeof buf, "%8s", "-");
      return std::string(buf);
    };
    std::printf("  %-34s %5zu %9.3f %9.3f %9.3f %s %s\n", v.label.c_str(), v.samples.size(),
                s.median, s.p10, s.p90, ratio(flm).c_str(), ratio(lbm).c_str());
  }
}

bool benchObject(BenchObject &o, const Config &cfg) {
  std::string pin = "/sys/fs/bpf/bpfseal_bench_" + std::to_string(getpid());
  std::vector<Variant> cold, warm;
  auto cli_args = [&](const std::string &cli) {
    return std::vector<std::string>{cli,      "load",   o.sealed,      "--mode",           cfg.mode,
                                    "--cert", cfg.cert, "--no-attach", "--exit-after-load"};
  };
  // The signed floor checks the signature libbpfseal checks here: the payload
  // and CMS of the loader a load chooses, written by `bpfseal sign
  // --detached-out` (re-signed with the same key: the same check).
  std::vector<std::string> signed_args;
  if (!o.lskel_signed.empty() && !cfg.cli.empty() && !cfg.key.empty()) {
    std::string dir = cfg.work_dir + "/detached_" + o.name;
    std::vector<std::string> query = cli_args(cfg.cli);
    query.push_back("--json");
    RunResult q = run(query, cfg);
    size_t at = q.out.find("\"loader\": \"");
    std::string loader;
    if (q.ok && at != std::string::npos) {
      at += 11;
      loader = q.out.substr(at, q.out.find('"', at) - at);
    }
    RunResult d = run({cfg.cli, "sign", o.sealed, "--detached-out", dir, "--key", cfg.key, "--cert",
                       cfg.cert},
                      cfg);
    if (loader.empty() || !d.ok)
      return std::fprintf(stderr, "bench: cannot prepare the signed floor of %s: %s%s\n",
                          o.name.c_str(), q.err.c_str(), d.err.c_str()),
             false;
    signed_args = {o.lskel_signed, cfg.cert, dir + "/" + loader + ".p7s",
                   dir + "/" + loader + ".payload"};
  }
  cold.push_back({"lskel one-shot (floor)", {o.lskel}});
  if (!signed_args.empty())
    cold.push_back({"lskel + CMS check one-shot", signed_args});
  cold.push_back({"libbpfseal one-shot (C API, .so)", {cfg.bpfseal_helper, o.sealed, cfg.cert}});
  if (!cfg.cli.empty())
    cold.push_back({"bpfseal load (CLI)", cli_args(cfg.cli)});
  if (!cfg.cli_static.empty())
    cold.push_back({"bpfseal load (static CLI)", cli_args(cfg.cli_static)});
  if (!cfg.bpftool.empty())
    cold.push_back(
        {"bpftool prog loadall", {cfg.bpftool, "prog", "loadall", o.linked, pin}, false, pin});
  cold.push_back({"libbpf one-shot", {cfg.libbpf_helper, o.linked}});
  warm.push_back({"lskel (floor)", {o.lskel}, true});
  if (!signed_args.empty())
    warm.push_back({"lskel + CMS check", signed_args, true});
  warm.push_back({"libbpfseal", {cfg.bpfseal_helper, o.sealed, cfg.cert}, true});
  warm.push_back({"libbpf", {cfg.libbpf_helper, o.linked}, true});

  std::vector<Variant *> all;
  for (Variant &v : cold)
    all.push_back(&v);
  for (Variant &v : warm)
    all.push_back(&v);
  // One unmeasured run of each: page cache, first BTF read. The light
  // skeleton is libbpf's own loader, which keeps 32 program fds: on objects
  // with more programs the kernel refuses it, and it is reported, not run.
  for (Variant *v : all) {
    Variant probe = *v;
    if (!runVariant(probe, cfg)) {
      if (v->label.rfind("lskel", 0) != 0 || o.programs <= 32)
        return false;
      v->skipped = "libbpf's own loader holds 32 program fds; this object has " +
                   std::to_string(o.programs) + " programs";
    }
  }
  std::erase_if(all, [](const Variant *v) { return !v->skipped.empty(); });
  for (int r = 0; r < cfg.rounds; ++r)
    for (size_t i = 0; i < all.size(); ++i)
      if (!runVariant(*all[(i + r) % all.size()], cfg))
        return false;

  std::printf("\n== object %s: %zu programs, %zu instructions (%s)\n", o.name.c_str(), o.programs,
              o.insns, o.sealed.c_str());
  printTable("cold: fresh process per load, spawn to exit, ms (" + std::to_string(cfg.rounds) +
                 " rounds)",
             cold, "lskel one-shot (floor)", "libbpf one-shot");
  printTable("warm: repeated loads in one process, ms per load (" + std::to_string(cfg.rounds) +
                 " rounds x " + std::to_string(cfg.warm) + " loads)",
             warm, "lskel (floor)", "libbpf");

  if (cfg.scaling) {
    // Seal and sign through the CLI, as a build does (process included).
    std::vector<double> seal, sign;
    std::string out = cfg.work_dir + "/bench_scaling.sealed.o";
    for (int r = 0; r < std::max(3, cfg.rounds / 4); ++r) {
      RunResult s = run({cfg.cli, "seal", o.linked, "-o", out}, cfg);
      if (!s.ok)
        return std::fprintf(stderr, "bench: seal %s: %s\n", o.linked.c_str(), s.err.c_str()), false;
      seal.push_back(s.ms);
      RunResult g = run({cfg.cli, "sign", out, "--key", cfg.key, "--cert", cfg.cert}, cfg);
      if (!g.ok)
        return std::fprintf(stderr, "bench: sign %s: %s\n", out.c_str(), g.err.c_str()), false;
      sign.push_back(g.ms);
    }
    std::filesystem::remove(out);
    double kinsns = o.insns / 1000.0;
    std::printf("\nscaling row %s: seal %.1f ms, sign %.1f ms (CLI, median)\n", o.name.c_str(),
                stats(seal).median, stats(sign).median);
    std::printf("  %-20s %10s %12s %14s\n", "warm load", "ms", "ms/program", "ms/1k insns");
    for (const Variant &v : warm) {
      if (!v.skipped.empty())
        continue;
      double m = stats(v.samples).median;
      std::printf("  %-20s %10.3f %12.3f %14.3f\n", v.label.c_str(), m,
                  o.programs ? m / o.programs : 0, kinsns > 0 ? m / kinsns : 0);
    }
    for (const Variant &v : cold)
      if (v.skipped.empty() &&
          (v.label.rfind("libbpfseal", 0) == 0 || v.label.rfind("lskel", 0) == 0 ||
           v.label.rfind("libbpf ", 0) == 0)) {
        double m = stats(v.samples).median;
        std::printf("  cold %-15s %10.3f %12.3f %14.3f\n", v.label.substr(0, 15).c_str(), m,
                    o.programs ? m / o.programs : 0, kinsns > 0 ? m / kinsns : 0);
      }
  }
  return true;
}

// NAME,LINKED.o,SEALED.o,LSKEL_HELPER[,LSKEL_SIGNED_HELPER]
std::optional<BenchObject> parseObject(const std::string &spec) {
  std::vector<std::string> parts;
  std::stringstream ss(spec);
  for (std::string p; std::getline(ss, p, ',');)
    parts.push_back(p);
  if (parts.size() != 4 && parts.size() != 5)
    return std::nullopt;
  BenchObject o;
  o.name = parts[0];
  o.linked = parts[1];
  o.sealed = parts[2];
  o.lskel = parts[3];
  if (parts.size() == 5)
    o.lskel_signed = parts[4];
  return o;
}

void usage(const char *argv0) {
  std::fprintf(stderr,
               "usage: %s --object NAME,LINKED.o,SEALED.o,LSKEL_HELPER[,LSKEL_SIGNED_HELPER]...\n"
               "          --cert CERT\n"
               "          --libbpf-helper PATH --bpfseal-helper PATH [--cli PATH]\n"
               "          [--cli-static PATH] [--bpftool PATH] [--mode userspace|kernel|auto]\n"
               "          [--rounds N] [--warm N] [--scaling --key KEY] [--work-dir DIR]\n",
               argv0);
}

} // namespace

int main(int argc, char **argv) {
  enum {
    kObject = 1,
    kCert,
    kKey,
    kMode,
    kCli,
    kCliStatic,
    kBpftool,
    kLibbpf,
    kBpfseal,
    kRounds,
    kWarm,
    kScaling,
    kWork
  };
  static const option kOptions[] = {{"object", required_argument, nullptr, kObject},
                                    {"cert", required_argument, nullptr, kCert},
                                    {"key", required_argument, nullptr, kKey},
                                    {"mode", required_argument, nullptr, kMode},
                                    {"cli", required_argument, nullptr, kCli},
                                    {"cli-static", required_argument, nullptr, kCliStatic},
                                    {"bpftool", required_argument, nullptr, kBpftool},
                                    {"libbpf-helper", required_argument, nullptr, kLibbpf},
                                    {"bpfseal-helper", required_argument, nullptr, kBpfseal},
                                    {"rounds", required_argument, nullptr, kRounds},
                                    {"warm", required_argument, nullptr, kWarm},
                                    {"scaling", no_argument, nullptr, kScaling},
                                    {"work-dir", required_argument, nullptr, kWork},
                                    {nullptr, 0, nullptr, 0}};
  Config cfg;
  for (int c; (c = getopt_long(argc, argv, "", kOptions, nullptr)) != -1;) {
    switch (c) {
    case kObject: {
      auto o = parseObject(optarg);
      if (!o)
        return std::fprintf(
                   stderr,
                   "bench: --object wants NAME,LINKED,SEALED,LSKEL[,LSKEL_SIGNED], got '%s'\n",
                   optarg),
               2;
      cfg.objects.push_back(*o);
      break;
    }
    case kCert: cfg.cert = optarg; break;
    case kKey: cfg.key = optarg; break;
    case kMode: cfg.mode = optarg; break;
    case kCli: cfg.cli = optarg; break;
    case kCliStatic: cfg.cli_static = optarg; break;
    case kBpftool: cfg.bpftool = optarg; break;
    case kLibbpf: cfg.libbpf_helper = optarg; break;
    case kBpfseal: cfg.bpfseal_helper = optarg; break;
    case kRounds: cfg.rounds = std::atoi(optarg); break;
    case kWarm: cfg.warm = std::atoi(optarg); break;
    case kScaling: cfg.scaling = true; break;
    case kWork: cfg.work_dir = optarg; break;
    default: usage(argv[0]); return 2;
    }
  }
  if (cfg.objects.empty() || cfg.cert.empty() || cfg.libbpf_helper.empty() ||
      cfg.bpfseal_helper.empty() || cfg.rounds < 1 || cfg.warm < 1 ||
      (cfg.scaling && (cfg.key.empty() || cfg.cli.empty()))) {
    usage(argv[0]);
    return 2;
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "bench: loading BPF objects needs root (CAP_BPF, CAP_PERFMON); skipped\n");
    return 77;
  }
  std::filesystem::create_directories(cfg.work_dir);
  for (BenchObject &o : cfg.objects) {
    RunResult r = run({cfg.libbpf_helper, "--insns", o.linked}, cfg);
    if (!r.ok || std::sscanf(r.out.c_str(), "%zu %zu", &o.programs, &o.insns) != 2)
      return std::fprintf(stderr, "bench: cannot count %s: %s\n", o.linked.c_str(), r.err.c_str()),
             1;
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::printf("bpfseal_bench: mode %s, %d rounds, %d warm loads per block, host %s, %ld cpus\n",
              cfg.mode.c_str(), cfg.rounds, cfg.warm, host, sysconf(_SC_NPROCESSORS_ONLN));
  for (BenchObject &o : cfg.objects)
    if (!benchObject(o, cfg))
      return 1;
  return 0;
}

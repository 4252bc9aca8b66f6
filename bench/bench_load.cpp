// Loads one CO-RE object N times each way, interleaved (ABAB, then BABA, so
// neither variant always runs on a warmer cache), and prints medians and the
// ratio. Times are reported, never asserted.
//   (a) plain libbpf: bpf_object__open_file + bpf_object__load + close
//   (b) libbpfseal: Object::openFile + load (signature checked against --cert)
//       + destruction (closes every fd)
#include "bpfseal/bpfseal.hpp"

#include <bpf/libbpf.h>

#include <getopt.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int silentPrint(libbpf_print_level level, const char *fmt, va_list args) {
  return level == LIBBPF_WARN ? std::vfprintf(stderr, fmt, args) : 0;
}

bool loadPlain(const std::string &path, double &ms) {
  auto start = Clock::now();
  bpf_object *obj = bpf_object__open_file(path.c_str(), nullptr);
  if (!obj) {
    std::fprintf(stderr, "bench: libbpf open %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  int err = bpf_object__load(obj);
  bpf_object__close(obj);
  ms = msSince(start);
  if (err) {
    std::fprintf(stderr, "bench: libbpf load %s: %s\n", path.c_str(), std::strerror(-err));
    return false;
  }
  return true;
}

bool loadSealed(const std::string &path, const bpfseal::LoadOptions &opts, double &ms,
                std::string &level) {
  auto start = Clock::now();
  {
    auto obj = bpfseal::Object::openFile(path);
    if (!obj) {
      std::fprintf(stderr, "bench: %s\n", obj.error().str().c_str());
      return false;
    }
    auto report = obj->load(opts);
    if (!report) {
      std::fprintf(stderr, "bench: load %s: %s\n", path.c_str(), report.error().str().c_str());
      return false;
    }
    level = report->description;
  }
  ms = msSince(start);
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

} // namespace

int main(int argc, char **argv) {
  static const option kOptions[] = {{"plain", required_argument, nullptr, 'p'},
                                    {"sealed", required_argument, nullptr, 's'},
                                    {"cert", required_argument, nullptr, 'c'},
                                    {"rounds", required_argument, nullptr, 'n'},
                                    {"mode", required_argument, nullptr, 'm'},
                                    {nullptr, 0, nullptr, 0}};
  std::string plain, sealed;
  int rounds = 50;
  bpfseal::LoadOptions opts;
  opts.mode = bpfseal::LoadMode::Userspace;
  for (int c; (c = getopt_long(argc, argv, "", kOptions, nullptr)) != -1;) {
    switch (c) {
    case 'p': plain = optarg; break;
    case 's': sealed = optarg; break;
    case 'c': opts.trusted_certs.push_back(optarg); break;
    case 'n': rounds = std::atoi(optarg); break;
    case 'm': {
      auto mode = bpfseal::parseLoadMode(optarg);
      if (!mode)
        return std::fprintf(stderr, "bench: %s\n", mode.error().str().c_str()), 2;
      opts.mode = *mode;
      break;
    }
    default: return 2;
    }
  }
  if (plain.empty() || sealed.empty() || rounds < 1) {
    std::fprintf(stderr, "usage: %s --plain OBJ.o --sealed SEALED.o [--cert CERT]... "
                         "[--mode auto|kernel|userspace] [--rounds N]\n", argv[0]);
    return 2;
  }
  libbpf_set_print(silentPrint);

  std::vector<double> a, b;
  std::string level;
  double ms = 0;
  // One warm-up of each, not counted: first-touch page faults, BTF parsing caches.
  if (!loadPlain(plain, ms) || !loadSealed(sealed, opts, ms, level))
    return 1;
  for (int i = 0; i < rounds; i++) {
    bool plain_first = i % 2 == 0;
    for (int k = 0; k < 2; k++) {
      if ((k == 0) == plain_first) {
        if (!loadPlain(plain, ms))
          return 1;
        a.push_back(ms);
      } else {
        if (!loadSealed(sealed, opts, ms, level))
          return 1;
        b.push_back(ms);
      }
    }
  }
  std::printf("object: %s (plain) / %s (sealed)\n", plain.c_str(), sealed.c_str());
  std::printf("sealed load verified as: %s\n", level.c_str());
  std::printf("rounds: %d each, interleaved\n", rounds);
  std::printf("%-28s %10s %10s %10s\n", "variant", "median ms", "p10 ms", "p90 ms");
  std::printf("%-28s %10.3f %10.3f %10.3f\n", "(a) libbpf open+load", median(a),
              percentile(a, 0.1), percentile(a, 0.9));
  std::printf("%-28s %10.3f %10.3f %10.3f\n", "(b) libbpfseal open+load", median(b),
              percentile(b, 0.1), percentile(b, 0.9));
  std::printf("ratio (b)/(a) of medians: %.2f\n", median(b) / median(a));
  return 0;
}

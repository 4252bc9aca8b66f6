// execsnoop: prints one line per exec() on the system, from a signed, sealed
// BPF object embedded in this binary. The uid and failure filters were baked
// into the object when it was sealed (see CMakeLists.txt).
#include "execsnoop.h"
#include "execsnoop.skel.hpp"

#include <bpf/libbpf.h>

#include <getopt.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

volatile sig_atomic_t stop = 0;
void onSignal(int) { stop = 1; }

int printEvent(void *, void *data, size_t size) {
  if (size < sizeof(exec_event))
    return 0;
  const auto *e = static_cast<const exec_event *>(data);
  std::string args;
  unsigned used = e->args_size < sizeof(e->args) ? e->args_size : sizeof(e->args);
  for (unsigned i = 0; i < used; i++) {
    char c = e->args[i];
    if (c == '\0') {
      if (i + 1 < used)
        args += ' ';
    } else {
      args += c;
    }
  }
  if (e->args_truncated)
    args += " ...";
  std::printf("%-16.16s %-7d %-7d %3d %s\n", e->comm, e->pid, e->ppid, e->retval, args.c_str());
  std::fflush(stdout);
  return 0;
}

void usage(const char *argv0) {
  std::fprintf(stderr,
               "usage: %s [-d SECONDS] [-m auto|kernel|userspace] [-c CERT]\n"
               "  -d SECONDS  stop after this long (default: until Ctrl-C)\n"
               "  -m MODE     verification mode (default auto)\n"
               "  -c CERT     trusted certificate (default: the build's " TRUSTED_CERT ")\n",
               argv0);
}

} // namespace

int main(int argc, char **argv) {
  double duration = 0;
  bpfseal::LoadOptions opts;
  std::string cert = TRUSTED_CERT;
  for (int c; (c = getopt(argc, argv, "d:m:c:h")) != -1;) {
    switch (c) {
    case 'd': duration = std::atof(optarg); break;
    case 'm': {
      auto mode = bpfseal::parseLoadMode(optarg);
      if (!mode)
        return std::fprintf(stderr, "execsnoop: %s\n", mode.error().str().c_str()), 2;
      opts.mode = *mode;
      break;
    }
    case 'c': cert = optarg; break;
    default: usage(argv[0]); return c == 'h' ? 0 : 2;
    }
  }
  opts.trusted_certs = {cert};

  auto skel = execsnoop_bpf::open();
  if (!skel)
    return std::fprintf(stderr, "execsnoop: %s\n", skel.error().str().c_str()), 1;
  auto report = skel->load(opts);
  if (!report)
    return std::fprintf(stderr, "execsnoop: load: %s\n", report.error().str().c_str()), 1;
  std::fprintf(stderr, "execsnoop: loaded: %s [%s]\n", report->description.c_str(),
               std::string(bpfseal::verificationLevelName(report->level)).c_str());
  if (!report->fallback.empty())
    std::fprintf(stderr, "execsnoop: %s\n", report->fallback.c_str());
  if (auto attached = skel->attach(); !attached)
    return std::fprintf(stderr, "execsnoop: attach: %s\n", attached.error().str().c_str()), 1;

  ring_buffer *rb = ring_buffer__new(skel->maps().events().fd(), printEvent, nullptr, nullptr);
  if (!rb)
    return std::fprintf(stderr, "execsnoop: ring buffer: %s\n", strerror(errno)), 1;
  signal(SIGINT, onSignal);
  signal(SIGTERM, onSignal);

  std::printf("%-16s %-7s %-7s %3s %s\n", "PCOMM", "PID", "PPID", "RET", "ARGS");
  std::fflush(stdout);
  auto start = std::chrono::steady_clock::now();
  int rc = 0;
  while (!stop) {
    int n = ring_buffer__poll(rb, 100);
    if (n < 0 && n != -EINTR) {
      std::fprintf(stderr, "execsnoop: ring buffer poll: %s\n", strerror(-n));
      rc = 1;
      break;
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (duration > 0 && elapsed.count() >= duration)
      break;
  }
  ring_buffer__consume(rb);
  ring_buffer__free(rb);
  return rc;
}

// Loads the embedded, signed counter, verifies it against TRUSTED_CERT, and
// prints how many execve() calls the system made, once a second.
#include "minimal.skel.hpp"

#include <bpf/bpf.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

int main(int argc, char **argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  auto skel = minimal_bpf::open();
  if (!skel)
    return std::fprintf(stderr, "open: %s\n", skel.error().str().c_str()), 1;
  bpfseal::LoadOptions opts;
  opts.trusted_certs = {TRUSTED_CERT};
  auto report = skel->load(opts);
  if (!report)
    return std::fprintf(stderr, "load: %s\n", report.error().str().c_str()), 1;
  std::printf("loaded: %s [%s]\n", report->description.c_str(),
              std::string(bpfseal::verificationLevelName(report->level)).c_str());
  if (!report->fallback.empty())
    std::printf("%s\n", report->fallback.c_str());
  if (auto attached = skel->attach(); !attached)
    return std::fprintf(stderr, "attach: %s\n", attached.error().str().c_str()), 1;

  for (int i = 1; i <= seconds; i++) {
    sleep(1);
    __u32 key = 0;
    __u64 count = 0;
    bpf_map_lookup_elem(skel->maps().exec_count().fd(), &key, &count);
    std::printf("%ds: %llu execve calls\n", i, (unsigned long long)count);
    std::fflush(stdout);
  }
  return 0;
}

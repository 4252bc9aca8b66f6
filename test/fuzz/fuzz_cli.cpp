// `bpfseal inspect` (text and --json) and `bpfseal verify --cert` on the
// input as a file, exactly as the CLI runs them.
#include "common.h"

#include "commands.h"

#include <getopt.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace bpfseal;

namespace {

int run(int (*cmd)(int, char **), std::vector<std::string> args) {
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  optind = 0; // getopt_long keeps state between commands
  fuzz::Silence quiet;
  return cmd(int(args.size()), argv.data());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const fuzz::Identity &id = fuzz::identity();
  int fd = memfd_create("bpfseal-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    std::abort();
  for (size_t off = 0; off < size;) {
    ssize_t n = write(fd, data + off, size - off);
    if (n <= 0)
      std::abort();
    off += size_t(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  run(cli::runInspect, {"inspect", path});
  run(cli::runInspect, {"inspect", "--json", path, "--cert", id.cert_path});
  run(cli::runVerify, {"verify", path, "--cert", id.cert_path});
  run(cli::runVerify, {"verify", "--json", path, "--cert", id.cert_path});
  close(fd);
  return 0;
}

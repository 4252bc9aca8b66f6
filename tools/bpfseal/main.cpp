#include "commands.h"

#include "bpfseal/version.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

constexpr Command kCommands[] = {
    {"link", bpfseal::cli::runLink, "link BPF objects and merge their unit manifests"},
    {"seal", bpfseal::cli::runSeal, "generate loaders and metadata; bake --set values"},
    {"sign", bpfseal::cli::runSign, "sign every loader of a sealed object (CMS)"},
    {"verify", bpfseal::cli::runVerify, "check signatures and the hash chain offline"},
    {"inspect", bpfseal::cli::runInspect, "show programs, maps, loaders, signers (--json)"},
    {"keygen", bpfseal::cli::runKeygen, "make an RSA-3072 key and X.509 certificate"},
    {"load", bpfseal::cli::runLoad, "load, attach and hold a sealed object until SIGINT"},
    {"probe", bpfseal::cli::runProbe, "report the running kernel's BPF signing support"},
    {"gen-skeleton", bpfseal::cli::runGenSkeleton, "write C/C++ headers embedding a sealed object"},
};

void printUsage(FILE *out) {
  std::fprintf(out, "usage: bpfseal <command> [options]   (bpfseal <command> --help)\n\n");
  for (const Command &c : kCommands)
    std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    printUsage(stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printUsage(stdout);
    return 0;
  }
  if (name == "--version") {
    std::printf("bpfseal %s\n", BPFSEAL_VERSION_STRING);
    return 0;
  }
  for (const Command &c : kCommands)
    if (name == c.name)
      return c.run(argc - 1, argv + 1);
  std::fprintf(stderr, "bpfseal: error: unknown command '%s' (hint: run 'bpfseal --help')\n",
               name.c_str());
  return 2;
}

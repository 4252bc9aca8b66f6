#include "commands.h"

#include "bpfseal/version.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

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
    {"enforce", bpfseal::cli::runEnforce,
     "start the BPF LSM policy: only verified BPF loads (--status)"},
    {"audit", bpfseal::cli::runAudit,
     "print the enforcement policy's decisions (--json, --follow)"},
};

void printUsage(FILE *out) {
  std::fprintf(out,
               "usage: bpfseal [--debug] <command> [options]   (bpfseal <command> --help)\n\n");
  for (const Command &c : kCommands)
    std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(out, "\n  --debug      print libbpf's debug output (all levels) to stderr\n"
                    "  --json       (per command) machine-readable report on stdout; errors\n"
                    "               too, in one shape (tools/bpfseal/README.md)\n");
}

// --debug: every libbpf message, any level, to stderr. Object names in it
// come from artifacts, so each line is escaped like every other output.
int debugPrint(enum libbpf_print_level, const char *fmt, va_list args) {
  char buf[4096];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  if (n <= 0)
    return 0;
  std::string text(buf);
  bool newline = !text.empty() && text.back() == '\n';
  if (newline)
    text.pop_back();
  std::fprintf(stderr, "%s%s", bpfseal::cli::printable(text).c_str(), newline ? "\n" : "");
  return n;
}

} // namespace

int main(int argc, char **argv) {
  // Global flags, accepted anywhere before "--": --debug is taken out here;
  // --json stays for the command and also makes usage and other errors JSON.
  std::vector<char *> args;
  bool debug = false, json = false, past_options = false;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && !past_options && std::strcmp(argv[i], "--debug") == 0) {
      debug = true;
      continue;
    }
    if (std::strcmp(argv[i], "--") == 0)
      past_options = true;
    if (!past_options && std::strcmp(argv[i], "--json") == 0)
      json = true;
    args.push_back(argv[i]);
  }
  args.push_back(nullptr);
  argc = static_cast<int>(args.size()) - 1;
  argv = args.data();
  bpfseal::cli::setJsonErrors(json);
  if (debug)
    libbpf_set_print(debugPrint);

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

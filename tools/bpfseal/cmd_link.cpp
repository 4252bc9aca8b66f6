// bpfseal link: libbpf's static linker plus merged unit manifests.
#include "commands.h"

#include "bpfseal/format.h"
#include "bpfseal/sealer.h"

#include <getopt.h>

#include <cstdio>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "link";

void printHelp() {
  std::printf("usage: bpfseal link IN.bpf.o... -o OUT.bpf.o\n\n"
              "Links BPF objects with libbpf's bpf_linker (as 'bpftool gen object') and\n"
              "merges their .bpfseal.unit manifests (from the bpfseal Clang plugin) into\n"
              "one JSON array, so 'bpfseal seal' signs where every program came from.\n\n"
              "  -o, --output OUT   the linked object (written atomically; required)\n"
              "  -h, --help         this text\n");
}

} // namespace

int runLink(int argc, char **argv) {
  static const option kOptions[] = {{"output", required_argument, nullptr, 'o'},
                                    {"json", no_argument, nullptr, 'J'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  std::string output;
  optind = 1;
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "ho:", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case 'J': json = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (output.empty())
    return usageError(kCmd, "-o OUT is required");
  std::vector<std::string> inputs(argv + optind, argv + argc);
  if (inputs.empty())
    return usageError(kCmd, "expected one or more input objects");
  for (const std::string &in : inputs)
    if (in == output)
      return usageError(kCmd, "output '" + output + "' is also an input");

  auto linked = sealer::linkObjects(inputs);
  if (!linked)
    return reportError(kCmd, linked.error());
  if (Status s = format::writeFileAtomic(output, *linked); !s)
    return reportError(kCmd, s.error());
  if (json)
    std::printf(
        "%s\n",
        jsonText({{"ok", true}, {"inputs", inputs}, {"output", output}, {"size", linked->size()}})
            .c_str());
  else
    std::printf("linked %zu objects -> %s (%zu bytes)\n", inputs.size(), printable(output).c_str(),
                linked->size());
  return 0;
}

} // namespace bpfseal::cli

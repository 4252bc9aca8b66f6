// bpfseal seal: bake --set values, generate the loaders and metadata, and
// write the sealed object (unsigned) atomically.
#include "commands.h"

#include "bpfseal/format.h"
#include "bpfseal/sealer.h"

#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "seal";

void printHelp() {
  std::printf("usage: bpfseal seal IN.bpf.o -o OUT.sealed.o [options]\n\n"
              "Records how libbpf would load IN (no kernel is touched), and writes OUT:\n"
              "IN plus the metadata (loader data blob and signed manifest) and one\n"
              "unsigned loader per kernel scheme: 'kernel-check' (7.3+) and one\n"
              "'lc-<layout>' per struct bpf_map layout (6.18 scheme). Sign OUT next\n"
              "with 'bpfseal sign'.\n\n"
              "  -o, --output OUT        the sealed object to write (required)\n"
              "  --set NAME=VALUE        write VALUE into the .rodata/.data global NAME before\n"
              "                          hashing (integers: decimal or 0x hex; bool: true/false;\n"
              "                          enums: enumerator name or number; char arrays: text).\n"
              "                          Repeatable, once per NAME. A __kconfig extern\n"
              "                          (CONFIG_*, LINUX_KERNEL_VERSION) takes the TARGET\n"
              "                          kernel's value this way: one sealed file per kernel\n"
              "                          configuration\n"
              "  --max-entries MAP=N     max_entries of map MAP (bpf_map__set_max_entries at\n"
              "                          seal time); a map left at 0 is refused\n"
              "  --disable PROG          do not load program PROG (bpf_program__set_autoload)\n"
              "  --attach-target PROG=FUNCTION\n"
              "                          attach fentry/fexit/fmod_ret program PROG to kernel\n"
              "                          function FUNCTION instead of its section's\n"
              "                          (bpf_program__set_attach_target); looked up in the\n"
              "                          target kernel's BTF at load\n"
              "  --alternative NAME=PROG[,PROG...]\n"
              "                          an alternative program group, repeatable, most\n"
              "                          preferred first (e.g. fentry=... then tp=...): the\n"
              "                          load keeps the first group whose programs the kernel\n"
              "                          all accepts and closes the others' (one signed file\n"
              "                          for kernels with and without BPF trampolines)\n"
              "  --kernel-btf FILE       also emit a loader-check variant for the kernel whose\n"
              "                          BTF is FILE (vmlinux ELF or raw BTF such as\n"
              "                          /sys/kernel/btf/vmlinux); equal layouts are merged\n"
              "  --name NAME             object name, the prefix of internal map names\n"
              "                          (default: IN's file name up to the first '.')\n"
              "  --version N             signed object version (default 0); loaders can refuse\n"
              "                          older ones with 'bpfseal load --min-version N'\n"
              "  --no-builtin-layouts    only the --kernel-btf layouts, not the built-in\n"
              "                          measured ones\n"
              "  --allow-kconfig         accept __kconfig externs, resolved (and sealed) from\n"
              "                          THIS machine's kernel config and version\n"
              "  -h, --help              this text\n");
}

} // namespace

int runSeal(int argc, char **argv) {
  static const option kOptions[] = {{"output", required_argument, nullptr, 'o'},
                                    {"set", required_argument, nullptr, 's'},
                                    {"kernel-btf", required_argument, nullptr, 'k'},
                                    {"name", required_argument, nullptr, 'n'},
                                    {"version", required_argument, nullptr, 'V'},
                                    {"no-builtin-layouts", no_argument, nullptr, 'B'},
                                    {"allow-kconfig", no_argument, nullptr, 'K'},
                                    {"max-entries", required_argument, nullptr, 'M'},
                                    {"disable", required_argument, nullptr, 'D'},
                                    {"attach-target", required_argument, nullptr, 'T'},
                                    {"alternative", required_argument, nullptr, 'A'},
                                    {"json", no_argument, nullptr, 'J'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  sealer::SealOptions opts;
  std::string output;
  optind = 1;
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "ho:", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case 's': opts.sets.push_back(optarg); break;
    case 'k': opts.kernel_btf_files.push_back(optarg); break;
    case 'n':
      opts.object_name = optarg;
      if (opts.object_name.empty())
        return usageError(kCmd, "--name needs a non-empty name");
      break;
    case 'V': {
      char *end = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(optarg, &end, 10);
      if (!*optarg || *end || errno || optarg[0] == '-')
        return usageError(kCmd, "--version needs a decimal number from 0 to 2^64-1");
      opts.object_version = v;
      break;
    }
    case 'B': opts.builtin_layouts = false; break;
    case 'K': opts.allow_kconfig = true; break;
    case 'J': json = true; break;
    case 'M': opts.max_entries.push_back(optarg); break;
    case 'D': opts.disabled.push_back(optarg); break;
    case 'T': opts.attach_targets.push_back(optarg); break;
    case 'A': opts.alternatives.push_back(optarg); break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (argc - optind != 1)
    return usageError(kCmd, "expected exactly one input object");
  if (output.empty())
    return usageError(kCmd, "-o OUT is required");
  std::string input = argv[optind];
  if (opts.object_name.empty())
    opts.object_name = sealer::defaultObjectName(input);
  if (!opts.builtin_layouts && opts.kernel_btf_files.empty())
    std::fprintf(stderr, "bpfseal seal: warning: no loader-check variants "
                         "(--no-builtin-layouts without --kernel-btf): only 7.3+ kernels "
                         "will load this object\n");

  auto in = format::readFile(input);
  if (!in)
    return reportError(kCmd, in.error());
  auto out = sealer::sealObject(*in, opts);
  if (!out)
    return reportError(kCmd, makeError(out.error().err, input + ": " + out.error().msg,
                                       out.error().hint));
  // Re-read what was produced: the summary shows what a reader sees.
  auto sealed = format::readSealed(*out);
  if (!sealed)
    return reportError(kCmd, sealed.error());
  if (Status s = format::writeFileAtomic(output, *out); !s)
    return reportError(kCmd, s.error());
  if (json) {
    nlohmann::ordered_json loaders = nlohmann::ordered_json::array();
    for (const auto &l : sealed->loaders)
      loaders.push_back(l.info.name);
    std::printf("%s\n", jsonText({{"ok", true},
                                  {"input", input},
                                  {"output", output},
                                  {"object", sealed->manifest.object_name},
                                  {"programs", sealed->manifest.programs.size()},
                                  {"maps", sealed->manifest.maps.size()},
                                  {"baked", sealed->manifest.baked.size()},
                                  {"loaders", loaders},
                                  {"metadata_size", sealed->metadata.size()},
                                  {"metadata_sha256", format::hex(sealed->metadata_sha256)}})
                            .c_str());
    return 0;
  }
  std::printf("sealed %s -> %s: %zu programs, %zu maps, %zu baked, %zu loaders, metadata %zu "
              "bytes sha256 %s\n",
              printable(input).c_str(), printable(output).c_str(), sealed->manifest.programs.size(),
              sealed->manifest.maps.size(), sealed->manifest.baked.size(), sealed->loaders.size(),
              sealed->metadata.size(),
              format::hex(std::span<const uint8_t>(sealed->metadata_sha256.data(), 8)).c_str());
  return 0;
}

} // namespace bpfseal::cli

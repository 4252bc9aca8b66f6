// bpfseal probe: what the running kernel offers for signed loading, as
// libbpfseal measures it (BTF and behaviour, never the version string).
#include "commands.h"

#include "bpfseal/bpfseal.hpp"

#include <getopt.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace bpfseal::cli {

namespace {

constexpr char kCmd[] = "probe";

void printHelp() {
  std::printf("usage: bpfseal probe [--json]\n\n"
              "Reports what the running kernel supports for signed BPF loading: the signing\n"
              "UAPI, whether it verifies signatures (errno of a junk-signature load),\n"
              "exclusive and hashed maps, its struct bpf_map layout (which loader-check\n"
              "variant fits), and the attach mechanisms libbpfseal uses. Needs root.\n");
}

// The modes a load can achieve on this kernel, in words.
std::string verdict(const KernelSupport &ks) {
  if (ks.verifies_signatures)
    return "kernel mode available (the kernel verifies BPF signatures)";
  std::string why = !ks.signing_uapi ? "no BPF signing UAPI"
                    : ks.signed_load_errno == EOPNOTSUPP
                        ? "built without signature verification (signed loads fail with EOPNOTSUPP)"
                        : "signed loads fail with " + errnoName(ks.signed_load_errno);
  std::string user =
      !ks.runsLoader() ? "user-space verification only, CO-RE in user space (libbpf path: "
                         "this kernel cannot run a loader program)"
      : ks.layout && ks.map_hash && ks.exclusive_maps
          ? "user-space verification with the metadata hash re-checked in kernel (loader-check)"
          : "user-space verification only";
  return "kernel mode unavailable (" + why + "); " + user;
}

} // namespace

int runProbe(int argc, char **argv) {
  static const option kOptions[] = {{"json", no_argument, nullptr, 'j'},
                                    {"help", no_argument, nullptr, 'h'},
                                    {nullptr, 0, nullptr, 0}};
  bool json = false;
  int c;
  while ((c = getopt_long(argc, argv, "h", kOptions, nullptr)) != -1) {
    switch (c) {
    case 'j': json = true; break;
    case 'h': printHelp(); return 0;
    default: return usageError(kCmd, "unknown option");
    }
  }
  if (optind != argc)
    return usageError(kCmd, "probe takes no arguments");

  const KernelSupport &ks = kernelSupport();
  if (json) {
    nlohmann::ordered_json j = {
        {"release", ks.release},
        {"signing_uapi", ks.signing_uapi},
        {"signed_load_errno", ks.signed_load_errno},
        {"signed_load_errno_name", ks.signed_load_errno ? errnoName(ks.signed_load_errno) : ""},
        {"verifies_signatures", ks.verifies_signatures},
        {"exclusive_maps", ks.exclusive_maps},
        {"map_hash", ks.map_hash},
        {"tcx", ks.tcx},
        {"trampolines", ks.trampoline_errno == 0},
        {"trampoline_errno", ks.trampoline_errno ? errnoName(ks.trampoline_errno) : ""},
        {"kprobe_pmu", ks.kprobe_pmu},
        {"uprobe_pmu", ks.uprobe_pmu},
        {"syscall_prog", ks.syscall_prog_errno == 0},
        {"syscall_prog_errno", ks.syscall_prog_errno ? errnoName(ks.syscall_prog_errno) : ""},
        {"core_at_load", ks.core_at_load},
        {"load_path", ks.runsLoader() ? "loader" : "libbpf"},
    };
    if (ks.layout)
      j["map_layout"] = layoutJson(*ks.layout);
    else
      j["map_layout_error"] = ks.layout_error;
    j["verdict"] = verdict(ks);
    std::printf("%s\n", jsonText(j).c_str());
    return 0;
  }
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  std::printf("kernel release:        %s (display only; nothing below is derived from it)\n",
              ks.release.c_str());
  std::printf("signing UAPI:          %s (bpf_attr signature/keyring_id in kernel BTF)\n",
              yn(ks.signing_uapi));
  std::printf("signed load errno:     %s\n",
              ks.signed_load_errno ? errnoName(ks.signed_load_errno).c_str() : "none (accepted)");
  std::printf("verifies signatures:   %s\n", yn(ks.verifies_signatures));
  std::printf("exclusive maps:        %s (BPF_MAP_CREATE excl_prog_hash)\n", yn(ks.exclusive_maps));
  std::printf("map hashes:            %s (bpf_map_info.hash, map->sha)\n", yn(ks.map_hash));
  if (ks.layout)
    std::printf("struct bpf_map layout: %s\n", layoutText(*ks.layout).c_str());
  else
    std::printf("struct bpf_map layout: none (%s)\n", ks.layout_error.c_str());
  std::printf("tcx links:             %s\n", yn(ks.tcx));
  std::printf("fentry/fexit/lsm:      %s\n",
              ks.trampoline_errno ? ("refused (" + errnoName(ks.trampoline_errno) + ")").c_str()
                                  : "yes");
  std::printf("kprobe PMU:            %s\n", yn(ks.kprobe_pmu));
  std::printf("uprobe PMU:            %s\n", yn(ks.uprobe_pmu));
  std::printf("loader programs:       %s (BPF_PROG_TYPE_SYSCALL)\n",
              ks.syscall_prog_errno ? ("refused (" + errnoName(ks.syscall_prog_errno) + ")").c_str()
                                    : "yes");
  std::printf("CO-RE at load:         %s (BPF_PROG_LOAD core_relos)\n", yn(ks.core_at_load));
  std::printf("load path (auto):      %s\n",
              ks.runsLoader() ? "loader (the signed loader creates the programs)"
                              : "libbpf (CO-RE in user space; no loader can run here)");
  std::printf("verdict:               %s\n", verdict(ks).c_str());
  return 0;
}

} // namespace bpfseal::cli

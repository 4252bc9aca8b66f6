// The build side: link BPF objects, then seal the result into the format of
// docs/FORMAT.md. Nothing here touches the kernel; sealing works on a build
// machine without bpf() or BTF.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bpfseal::sealer {

// Links BPF ELF objects with libbpf's bpf_linker and merges their
// `.bpfseal.unit` manifests into one JSON array (in input order). Inputs
// without a unit manifest contribute nothing to it.
Result<std::vector<uint8_t>> linkObjects(const std::vector<std::string> &input_paths);

// A struct bpf_map layout a loader-check variant is built for.
struct KernelLayout {
  std::string name;    // loader name suffix: "lc-<name>", at most 31 chars in all
  format::MapLayout layout;
  std::string kernels; // which kernels it was measured on, for display
};
// Layouts measured from Debian's 6.18, 7.2 and 7.3 kernels and the host
// kernel of the development machines (test/vm/measured_layouts.txt).
const std::vector<KernelLayout> &builtinLayouts();
// A layout read from a vmlinux ELF or raw BTF file (`--kernel-btf FILE`).
Result<KernelLayout> layoutFromBtfFile(const std::string &path);
// Refuses (EINVAL, naming both) two layouts whose exclusivity fields
// (excl, excl_prog_sha) are at different offsets while every field the
// prologue checks by value (map_type, key_size, value_size, max_entries,
// frozen) is at the same offset: the variant of one, run on the other's
// kernel, would pass its self-checks and read exclusivity in the wrong place.
Status checkDistinguishable(const std::vector<KernelLayout> &layouts);

// The object name `bpfseal seal` and the plugin's one-call seal use when
// none is given: the file name of `path` up to its first '.'
// ("dir/app.bpf.o" -> "app"), or "obj" when that is empty.
std::string defaultObjectName(std::string_view path);

struct SealOptions {
  // NAME=VALUE: typed values baked into .rodata/.data before hashing.
  std::vector<std::string> sets;
  // Extra struct bpf_map layouts (vmlinux ELF or raw BTF files).
  std::vector<std::string> kernel_btf_files;
  // Object name (prefix of internal map names, e.g. "app" -> "app.rodata").
  // Empty: "obj" (libbpf would name a memory buffer after its address, which
  // is not deterministic). The CLI and the plugin pass defaultObjectName().
  std::string object_name;
  // Signed object version (`--version N`): a loader can demand a minimum
  // (`bpfseal load --min-version`), so an old signed object cannot be
  // replayed once a newer one is deployed.
  uint64_t object_version = 0;
  // Emit the built-in loader-check variants (tests may turn this off).
  bool builtin_layouts = true;
  // Loader-check variants given directly (after the built-in and
  // --kernel-btf ones): how checkReproducible seals again with the layouts
  // a manifest records.
  std::vector<KernelLayout> layouts;
  // Accept __kconfig externs. libbpf then resolves them on the sealing
  // machine (its /proc/config.gz or /boot/config-*, its kernel version), and
  // those values are sealed: only right when that kernel is the target's.
  bool allow_kconfig = false;
  // MAP=N: max_entries of map MAP (what tools set at run time with
  // bpf_map__set_max_entries), recorded in the manifest's map list.
  std::vector<std::string> max_entries;
  // Programs not to load (bpf_program__set_autoload(false)); recorded in the
  // manifest's disabled_programs.
  std::vector<std::string> disabled;
  // PROG=FUNCTION: the kernel function an fentry/fexit/fmod_ret program
  // attaches to instead of the one its section names (what tools do with
  // bpf_program__set_attach_target); the loader looks FUNCTION up in the
  // target kernel's BTF. Recorded as the program's attach_target.
  std::vector<std::string> attach_targets;
  // NAME=PROG[,PROG...]: alternative program groups, most preferred first
  // (e.g. "fentry=..." then "tp=..."): each group program's load is optional
  // in the loader, and the runtime keeps the first group the kernel accepted
  // whole, closing the others (the manifest's "alternatives").
  std::vector<std::string> alternatives;
};

// Seals a linked BPF ELF: bakes `sets` (also __kconfig externs), records the load with libbpf's
// gen_loader (no kernel involved), emits the kernel-check loader and one
// loader-check variant per layout, and returns the sealed object with empty
// signature slots. Deterministic: equal inputs give equal bytes.
Result<std::vector<uint8_t>> sealObject(std::span<const uint8_t> bpf_elf,
                                        const SealOptions &options);

// The signer's check that a sealed object (as format::readSealed read and
// checked it) is what `seal` makes of its own ELF sections: seals them
// again with the settings the manifest records (name, version, baked values, map sizes, disabled
// programs, attach targets, loader layouts) and requires the same metadata (gen_loader blob and
// manifest, digests aside) and the same loader body. The format signs the
// blob and body but does not tie them to the ELF sections, so without this a
// writer of the unsigned file could make the loader path run another build's
// code under an ELF that shows this one (docs/SECURITY.md). EKEYREJECTED
// names what differs; a sealer of another version cannot re-derive (ENOTSUP).
Status checkReproducible(const format::SealedObject &sealed);

} // namespace bpfseal::sealer

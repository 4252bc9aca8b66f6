// The libbpf path: the programs and maps of a sealed object created by
// libbpf from the ELF inside the sealed file, with CO-RE relocation done in
// user space against the running kernel's BTF (or LoadOptions::btf_path).
// For kernels that cannot run a loader program (no BPF_PROG_TYPE_SYSCALL, or
// no CO-RE at BPF_PROG_LOAD: 5.10 .. 5.16). No verification happens here:
// load.cpp calls it only after the signatures (and with them the whole file)
// were verified.
#pragma once

#include "object_impl.h"

#include <span>

namespace bpfseal {

// Opens `elf` (the verified sealed file, in memory: never re-read) with
// libbpf, loads exactly the programs the manifest lists, gives every map the
// manifest's max_entries, refuses an ELF whose programs or maps differ from
// the manifest's (name, section, type, key/value size), and returns the fds
// in manifest order. Nothing is left behind on failure.
Result<LoadedFds> loadElfWithLibbpf(std::span<const uint8_t> elf, const format::Manifest &manifest,
                                    const LoadOptions &options);

} // namespace bpfseal

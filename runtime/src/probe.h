// The kernel probe, in two tiers (probe.cpp): loadSupport() answers what a
// load decides with (the few vmlinux BTF facts, exclusive maps, whether a
// loader can run); kernelSupport() (public) adds what only attaching,
// enforcement and 'bpfseal probe' read (signed-load errno, fentry, PMUs).
// Both are probed once per process and cached.
#pragma once

#include "bpfseal/bpfseal.hpp"

namespace bpfseal {

// The fields of KernelSupport a load reads: release, signing_uapi,
// exclusive_maps, map_hash, layout/layout_error, tcx, syscall_prog_errno,
// core_at_load. The others stay at their defaults until kernelSupport()
// was called.
const KernelSupport &loadSupport();

} // namespace bpfseal

// Running one loader: create the metadata map, load the loader (signed or
// not), run it with a context, and take the fds it made. A loader that ran
// and failed is run once more with a verifier log so the error can say which
// program the kernel refused and why.
#pragma once

#include "object_impl.h"

namespace bpfseal {

// How one loader is tried.
struct Attempt {
  const format::LoaderImage *loader = nullptr;
  bool kernel_signed = false; // pass the signature + keyring_id to the kernel
  bool exclusive = false;     // metadata map exclusive to the loader's digest
  bool hash = false;          // have the kernel compute map->sha
  bool bind_fd_array_cnt = false;
};

// Where an attempt failed, for the mode policy (load.cpp) to decide what next.
struct AttemptFailure {
  bool at_signature = false; // the signed BPF_PROG_LOAD itself failed
  bool in_prologue = false;  // a loader-check prologue refused the metadata map
  bool loader_ran = false;   // the loader was accepted and ran (signature, if any, passed)
  bool diagnosed = false;    // the cause is known: a retry with a verifier log adds nothing
};

Result<LoadedFds> runAttempt(const format::SealedObject &sealed, const Attempt &attempt,
                             const LoadOptions &options, AttemptFailure &failure);

} // namespace bpfseal

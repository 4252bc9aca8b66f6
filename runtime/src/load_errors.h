// The words of load errors: what a loader's outcome or a kernel errno means
// for the user, and what to do about it. No kernel access here.
#pragma once

#include "bpfseal/error.h"
#include "bpfseal/format.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace bpfseal {

// What a loader-check prologue's verdict (positive retval) means.
Error prologueError(const format::LoaderImage &loader, int verdict);

// Cause and hint for the errno of a signed BPF_PROG_LOAD of a loader.
std::string loaderSignatureCause(int err, int32_t keyring);
std::string loaderSignatureHint(int err);

} // namespace bpfseal

//===- OneCallSeal.h - Seal the object clang just wrote ---------*- C++ -*-===//
//
// Part of bpfseal. With -fplugin-arg-bpfseal-seal the plugin seals (and
// signs) the output object in the same compiler call. Clang writes the object
// only after every plugin hook has run, so the work is queued here and done
// from an exit handler once the object is in place.
//
//===----------------------------------------------------------------------===//
#ifndef BPFSEAL_ONECALLSEAL_H
#define BPFSEAL_ONECALLSEAL_H

#include "BpfSeal/PluginOptions.h"

#include <string>

namespace bpfseal {

/// True when the plugin was built with the sealer and signing libraries.
bool sealingSupported();

/// Queues sealing of \p OutputPath (compiled from \p InputPath) for process
/// exit. Returns an id for markCompileSucceeded.
unsigned queueSeal(const PluginOptions &Options, std::string InputPath,
                   std::string OutputPath);

/// Called after code generation; only jobs whose compile succeeded are
/// sealed, everything else is left to clang's own error handling.
void markCompileSucceeded(unsigned Job, bool Succeeded);

/// The job queued by the current compilation, if any (-1 otherwise).
int currentSealJob();

} // namespace bpfseal

#endif // BPFSEAL_ONECALLSEAL_H

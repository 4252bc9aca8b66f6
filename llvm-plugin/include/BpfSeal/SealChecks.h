//===- SealChecks.h - Diagnostics for what a signed loader cannot carry ---===//
//
// Part of bpfseal. An ASTConsumer that reports, as ordinary clang diagnostics
// with a source location, the constructs a signed gen_loader object cannot
// reproduce faithfully, and records declaration locations for the manifest.
//
//===----------------------------------------------------------------------===//
#ifndef BPFSEAL_SEALCHECKS_H
#define BPFSEAL_SEALCHECKS_H

#include "BpfSeal/PluginOptions.h"
#include "BpfSeal/UnitManifest.h"

#include "clang/AST/ASTConsumer.h"

#include <memory>

namespace clang {
class CompilerInstance;
}

namespace bpfseal {

std::unique_ptr<clang::ASTConsumer>
createSealChecksConsumer(clang::CompilerInstance &CI,
                         const PluginOptions &Options,
                         std::shared_ptr<FrontendFacts> Facts);

} // namespace bpfseal

#endif // BPFSEAL_SEALCHECKS_H

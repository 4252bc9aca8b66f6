//===- Plugin.cpp - Entry points of BpfSealPlugin.so ----------------------===//
//
// Part of bpfseal. One module, two ways in:
//   * -fplugin=BpfSealPlugin.so: the frontend action "bpfseal" parses the
//     -fplugin-arg-bpfseal-* arguments, runs the checks on the AST and
//     registers the manifest pass through CodeGenOptions, so no
//     -fpass-plugin is needed;
//   * -fpass-plugin=BpfSealPlugin.so: only the manifest pass, from debug
//     info alone. (opt cannot load the module: the frontend half needs
//     libclang-cpp, which only clang's process has loaded.)
// Given both, the pass is registered once, by the frontend action, which
// knows more (exact source bytes, locations without -g).
//
//===----------------------------------------------------------------------===//

#include "BpfSeal/OneCallSeal.h"
#include "BpfSeal/PluginOptions.h"
#include "BpfSeal/SealChecks.h"
#include "BpfSeal/UnitManifest.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/TargetInfo.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/Compiler.h"
#include "llvm/Support/FileSystem.h"

#include <atomic>

using namespace clang;
using namespace llvm;

namespace bpfseal {
namespace {

/// Set once a frontend action in this process has put the pass into
/// CodeGenOptions::PassBuilderCallbacks. Clang runs -fpass-plugin callbacks
/// first, so without this the weaker -fpass-plugin instance would win.
std::atomic<bool> FrontendRegisteredPass{false};

bool isBPFCompile(const CompilerInstance &CI) {
  return CI.hasTarget() && CI.getTarget().getTriple().isBPF();
}

class BpfSealAction : public PluginASTAction {
protected:
  bool ParseArgs(const CompilerInstance &CI,
                 const std::vector<std::string> &Args) override {
    // The same flags often reach host compiles too (one CFLAGS for all);
    // there the plugin neither acts nor complains.
    if (!isBPFCompile(CI))
      return false;

    DiagnosticsEngine &Diags = CI.getDiagnostics();
    unsigned ArgumentError =
        Diags.getCustomDiagID(DiagnosticsEngine::Error, "bpfseal: %0");
    std::string Error;
    for (const std::string &Arg : Args)
      if (!Options.apply(Arg, Error)) {
        Diags.Report(ArgumentError) << Error;
        return false;
      }
    if (!Options.validate(Error)) {
      Diags.Report(ArgumentError) << Error;
      return false;
    }
    if (Options.Seal && !checkSealable(CI, Error)) {
      Diags.Report(ArgumentError) << Error;
      return false;
    }
    return true;
  }

  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI,
                                                 StringRef InFile) override {
    auto Facts = std::make_shared<FrontendFacts>();
    CI.getCodeGenOpts().PassBuilderCallbacks.push_back(
        [Facts](PassBuilder &PB) { registerUnitManifestPass(PB, Facts); });
    FrontendRegisteredPass = true;
    if (Options.Seal)
      queueSeal(Options, InFile.str(), CI.getFrontendOpts().OutputFile);
    return createSealChecksConsumer(CI, Options, std::move(Facts));
  }

  ActionType getActionType() override { return AddBeforeMainAction; }

private:
  bool checkSealable(const CompilerInstance &CI, std::string &Error) const {
    const FrontendOptions &FrontendOpts = CI.getFrontendOpts();
    if (FrontendOpts.ProgramAction != frontend::EmitObj) {
      Error = "-fplugin-arg-bpfseal-seal needs an object file: compile with "
              "-c (not -S, -E, -emit-llvm or -fsyntax-only)";
      return false;
    }
    if (FrontendOpts.OutputFile.empty() || FrontendOpts.OutputFile == "-") {
      Error = "-fplugin-arg-bpfseal-seal cannot seal an object written to "
              "standard output; pass -o FILE";
      return false;
    }
    // A missing key or certificate would otherwise surface only after the
    // whole compile, at exit.
    for (auto [Name, Path] :
         {std::pair<const char *, const std::string *>{"key", &Options.Key},
          {"cert", &Options.Cert}}) {
      if (Path->empty() || StringRef(*Path).starts_with("pkcs11:"))
        continue;
      if (!llvm::sys::fs::exists(*Path)) {
        Error = std::string("-fplugin-arg-bpfseal-") + Name + "=" + *Path +
                ": no such file";
        return false;
      }
    }
    if (!sealingSupported()) {
      Error = "-fplugin-arg-bpfseal-seal: this BpfSealPlugin was built "
              "without the sealer; run 'bpfseal seal' on the object instead";
      return false;
    }
    return true;
  }

  PluginOptions Options;
};

/// Runs after code generation (AddAfterMainAction): by then the object has
/// been emitted into clang's temporary output, and an error reported by the
/// frontend or the backend means there is nothing to seal.
class BpfSealFinishAction : public PluginASTAction {
  class Consumer : public ASTConsumer {
  public:
    explicit Consumer(int Job) : Job(Job) {}
    void HandleTranslationUnit(ASTContext &Ctx) override {
      markCompileSucceeded(static_cast<unsigned>(Job),
                           !Ctx.getDiagnostics().hasErrorOccurred());
    }

  private:
    int Job;
  };

protected:
  bool ParseArgs(const CompilerInstance &CI,
                 const std::vector<std::string> &) override {
    return isBPFCompile(CI) && currentSealJob() >= 0;
  }
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &,
                                                 StringRef) override {
    return std::make_unique<Consumer>(currentSealJob());
  }
  ActionType getActionType() override { return AddAfterMainAction; }
};

// Registration order matters: the registry is walked in this order, so the
// seal job exists before the finishing action looks for it.
FrontendPluginRegistry::Add<BpfSealAction>
    RegisterAction("bpfseal", "bpfseal: signed-loader checks and the "
                              ".bpfseal.unit manifest");
FrontendPluginRegistry::Add<BpfSealFinishAction>
    RegisterFinish("bpfseal-finish",
                   "bpfseal: marks a compile for one-call sealing as done");

void registerPassPluginCallbacks(PassBuilder &PB) {
  if (!FrontendRegisteredPass)
    registerUnitManifestPass(PB, nullptr);
}

} // namespace
} // namespace bpfseal

extern "C" LLVM_ATTRIBUTE_WEAK ::llvm::PassPluginLibraryInfo
llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "bpfseal", BPFSEAL_PLUGIN_VERSION,
          bpfseal::registerPassPluginCallbacks};
}

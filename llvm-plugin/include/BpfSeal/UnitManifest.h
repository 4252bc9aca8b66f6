//===- UnitManifest.h - The per-unit manifest pass -------------*- C++ -*-===//
//
// Part of bpfseal. The pass that writes `.bpfseal.unit`: a JSON object that
// describes one translation unit (programs, maps, globals, externs, license,
// provenance) so the sealer can say where each program came from.
//
//===----------------------------------------------------------------------===//
#ifndef BPFSEAL_UNITMANIFEST_H
#define BPFSEAL_UNITMANIFEST_H

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/PassManager.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class PassBuilder;
}

namespace bpfseal {

/// Name of the ELF section holding the manifest. Not SHF_ALLOC (it carries
/// SHF_EXCLUDE), so libbpf skips it and bpf_linker concatenates it.
inline constexpr char UnitSectionName[] = ".bpfseal.unit";
/// Name of the private global that holds the manifest inside the module. Its
/// presence also marks a module as already processed.
inline constexpr char UnitGlobalName[] = "__bpfseal_unit";
inline constexpr int UnitFormatVersion = 1;

/// What one generated loader can carry. Programs: one 4-byte fd slot each on
/// the loader's 512-byte BPF stack, after two other slots (the sealer widens
/// libbpf's 32-slot struct). Maps: libbpf 1.1's gen_loader records at most
/// 64 (MAX_USED_MAPS in gen_loader.c).
inline constexpr unsigned MaxLoaderPrograms = (512 - 8) / 4;
inline constexpr unsigned MaxLoaderMaps = 64;

/// The first program or map of a unit that one generated loader cannot
/// carry any more.
struct LimitViolation {
  enum KindType { Programs, Slots, Maps } Kind;
  std::string Name;       // function, map, or ".bss (holding x)"
  std::string LookupName; // the global to point the diagnostic at
  unsigned Number = 0;    // its position, i.e. Limit + 1
  unsigned Limit = 0;
};

/// What the Clang frontend knows better than the IR: the exact bytes of the
/// main file and where each declaration is, even without -g. It also lets
/// the pass report through clang's DiagnosticsEngine at a source location.
struct FrontendFacts {
  struct Location {
    std::string File;
    unsigned Line = 0;
    unsigned RawSourceLocation = 0; // clang::SourceLocation raw encoding
  };
  std::string SourceSHA256;
  /// The main file's name, after -fdebug-prefix-map/-ffile-prefix-map as
  /// for debug info, so manifests do not depend on the build directory.
  std::string SourceName;
  llvm::StringMap<Location> Locations; // file names remapped the same way
  llvm::StringMap<bool> ConstVolatile;
  /// Set by the frontend; without it the pass reports through LLVMContext.
  std::function<void(const LimitViolation &)> ReportLimit;
  /// Set by the frontend unless __kconfig externs are allowed; called for
  /// each one that reaches the object.
  std::function<void(llvm::StringRef Name)> ReportKconfig;
};

/// Counts what gen_loader would have to carry for \p M the way libbpf
/// counts it (every program section entry, every `.maps` map, one map per
/// .data/.rodata/.bss section and for .kconfig) and returns the first
/// program and the first map over the limit.
std::vector<LimitViolation> checkLoaderLimits(const llvm::Module &M);
/// The one-line diagnostic text for \p V.
std::string describeLimit(const LimitViolation &V);

/// Builds the manifest JSON for \p M (exposed for testing and for the pass).
std::string buildUnitManifest(const llvm::Module &M,
                              const FrontendFacts *Facts);

class UnitManifestPass : public llvm::PassInfoMixin<UnitManifestPass> {
public:
  explicit UnitManifestPass(std::shared_ptr<const FrontendFacts> Facts = {})
      : Facts(std::move(Facts)) {}
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }

private:
  std::shared_ptr<const FrontendFacts> Facts;
};

/// Adds the pass at the end of the optimizer pipeline, after dead globals are
/// gone but before code generation.
void registerUnitManifestPass(llvm::PassBuilder &PB,
                              std::shared_ptr<const FrontendFacts> Facts);

} // namespace bpfseal

#endif // BPFSEAL_UNITMANIFEST_H

//===- UnitManifest.cpp - The per-unit manifest pass ----------------------===//
//
// Part of bpfseal. Collects what the sealer and a human reviewer need to know
// about one BPF translation unit and stores it, as compact JSON terminated by
// a NUL byte, in the non-allocated section `.bpfseal.unit`. libbpf ignores the
// section; bpf_linker concatenates it, so a linked object holds one
// NUL-terminated JSON object per input unit.
//
// The pass runs at the end of the optimizer pipeline: the functions and
// globals it sees are the ones that reach the object file. Section names of
// globals without an explicit section are computed with the target's own
// object-file lowering, so they match what the ELF writer emits.
//
//===----------------------------------------------------------------------===//

#include "BpfSeal/UnitManifest.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCContext.h"
#include "llvm/MC/MCSection.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Target/TargetLoweringObjectFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#ifndef BPFSEAL_PLUGIN_VERSION
#error "BPFSEAL_PLUGIN_VERSION must be defined by the build"
#endif

using namespace llvm;

namespace bpfseal {
namespace {

/// Answers "which ELF section will this global land in" the way the BPF
/// backend will, by asking the target's object-file lowering.
class SectionOracle {
public:
  explicit SectionOracle(const Module &M) {
    std::string Error;
    const Target *T = TargetRegistry::lookupTarget(M.getTargetTriple(), Error);
    if (!T)
      return;
    TM.reset(T->createTargetMachine(M.getTargetTriple(), "generic", "",
                                    TargetOptions(), std::nullopt));
    if (!TM)
      return;
    Ctx = std::make_unique<MCContext>(TM->getTargetTriple(), TM->getMCAsmInfo(),
                                      TM->getMCRegisterInfo(),
                                      TM->getMCSubtargetInfo());
    TM->getObjFileLowering()->Initialize(*Ctx, *TM);
  }

  std::string sectionOf(const GlobalVariable &GV) const {
    if (GV.hasSection())
      return GV.getSection().str();
    if (TM)
      return TM->getObjFileLowering()
          ->SectionForGlobal(&GV, *TM)
          ->getName()
          .str();
    // No target available (should not happen inside clang): LLVM's defaults.
    if (GV.isConstant())
      return ".rodata";
    return GV.getInitializer()->isNullValue() ? ".bss" : ".data";
  }

private:
  std::unique_ptr<TargetMachine> TM;
  std::unique_ptr<MCContext> Ctx;
};

struct SourceLocation {
  std::string File;
  unsigned Line = 0;
};

/// The frontend's location first: it names files as clang was given them
/// (after prefix maps), the same way in diagnostics and without -g. Debug
/// info splits names into directory and file, relative to the build dir.
std::optional<SourceLocation> locationOf(const GlobalObject &GO,
                                         const FrontendFacts *Facts) {
  if (Facts) {
    auto It = Facts->Locations.find(GO.getName());
    if (It != Facts->Locations.end())
      return SourceLocation{It->second.File, It->second.Line};
  }
  if (const auto *F = dyn_cast<Function>(&GO)) {
    if (const DISubprogram *SP = F->getSubprogram())
      return SourceLocation{SP->getFilename().str(), SP->getLine()};
  } else if (const auto *GV = dyn_cast<GlobalVariable>(&GO)) {
    SmallVector<DIGlobalVariableExpression *, 1> GVEs;
    GV->getDebugInfo(GVEs);
    for (const DIGlobalVariableExpression *GVE : GVEs)
      if (const DIGlobalVariable *Var = GVE->getVariable())
        return SourceLocation{Var->getFilename().str(), Var->getLine()};
  }
  return std::nullopt;
}

void addLocation(json::Object &Entry, const GlobalObject &GO,
                 const FrontendFacts *Facts) {
  if (std::optional<SourceLocation> Loc = locationOf(GO, Facts)) {
    Entry["file"] = Loc->File;
    Entry["line"] = static_cast<int64_t>(Loc->Line);
  }
}

/// Strips typedefs, cv-qualifiers and array dimensions, recording whether
/// both const and volatile were seen on the way to the element type.
bool isConstVolatileType(const DIType *Ty) {
  bool SawConst = false, SawVolatile = false;
  while (Ty) {
    if (const auto *Derived = dyn_cast<DIDerivedType>(Ty)) {
      unsigned Tag = Derived->getTag();
      if (Tag == dwarf::DW_TAG_const_type)
        SawConst = true;
      else if (Tag == dwarf::DW_TAG_volatile_type)
        SawVolatile = true;
      else if (Tag != dwarf::DW_TAG_typedef)
        break;
      Ty = Derived->getBaseType();
      continue;
    }
    if (const auto *Composite = dyn_cast<DICompositeType>(Ty);
        Composite && Composite->getTag() == dwarf::DW_TAG_array_type) {
      Ty = Composite->getBaseType();
      continue;
    }
    break;
  }
  return SawConst && SawVolatile;
}

std::optional<bool> isConstVolatile(const GlobalVariable &GV,
                                    const FrontendFacts *Facts) {
  SmallVector<DIGlobalVariableExpression *, 1> GVEs;
  GV.getDebugInfo(GVEs);
  for (const DIGlobalVariableExpression *GVE : GVEs)
    if (const DIGlobalVariable *Var = GVE->getVariable())
      return isConstVolatileType(Var->getType());
  if (Facts) {
    auto It = Facts->ConstVolatile.find(GV.getName());
    if (It != Facts->ConstVolatile.end())
      return It->second;
  }
  return std::nullopt;
}

const DIType *stripTypedefsAndQualifiers(const DIType *Ty) {
  while (const auto *Derived = dyn_cast_or_null<DIDerivedType>(Ty)) {
    unsigned Tag = Derived->getTag();
    if (Tag != dwarf::DW_TAG_typedef && Tag != dwarf::DW_TAG_const_type &&
        Tag != dwarf::DW_TAG_volatile_type)
      break;
    Ty = Derived->getBaseType();
  }
  return Ty;
}

/// The member \p Member of a BTF-defined map's struct type, from debug info.
const DIDerivedType *mapMember(const GlobalVariable &GV, StringRef Member) {
  SmallVector<DIGlobalVariableExpression *, 1> GVEs;
  GV.getDebugInfo(GVEs);
  if (GVEs.empty() || !GVEs.front()->getVariable())
    return nullptr;
  const auto *Struct = dyn_cast_or_null<DICompositeType>(
      stripTypedefsAndQualifiers(GVEs.front()->getVariable()->getType()));
  if (!Struct)
    return nullptr;
  for (const DINode *Element : Struct->getElements())
    if (const auto *Field = dyn_cast<DIDerivedType>(Element);
        Field && Field->getName() == Member)
      return Field;
  return nullptr;
}

/// libbpf's __uint and __type both declare their member as a pointer: what
/// that pointer points to, or null if \p Member is absent or not a pointer.
const DIType *mapMemberPointee(const GlobalVariable &GV, StringRef Member) {
  const DIDerivedType *Field = mapMember(GV, Member);
  if (!Field)
    return nullptr;
  const auto *Pointer = dyn_cast_or_null<DIDerivedType>(Field->getBaseType());
  if (!Pointer || Pointer->getTag() != dwarf::DW_TAG_pointer_type)
    return nullptr;
  return Pointer->getBaseType();
}

/// libbpf's __uint(name, VALUE) declares `int (*name)[VALUE]`.
std::optional<int64_t> mapIntAttribute(const GlobalVariable &GV,
                                       StringRef Member) {
  const auto *Array =
      dyn_cast_or_null<DICompositeType>(mapMemberPointee(GV, Member));
  if (!Array || Array->getTag() != dwarf::DW_TAG_array_type ||
      Array->getElements().empty())
    return std::nullopt;
  const auto *Range = dyn_cast<DISubrange>(Array->getElements()[0]);
  if (!Range)
    return std::nullopt;
  if (auto *Count = dyn_cast_if_present<ConstantInt *>(Range->getCount()))
    return Count->getSExtValue();
  return std::nullopt;
}

/// libbpf's __type(name, T) declares `T *name`: the size of T in bytes.
std::optional<int64_t> mapTypeSize(const GlobalVariable &GV, StringRef Member) {
  const DIType *Pointee =
      stripTypedefsAndQualifiers(mapMemberPointee(GV, Member));
  if (!Pointee || Pointee->getSizeInBits() == 0)
    return std::nullopt;
  return static_cast<int64_t>(Pointee->getSizeInBits() / 8);
}

/// key_size/value_size as libbpf computes them: __type(key, T) or
/// __uint(key_size, N).
std::optional<int64_t> mapSize(const GlobalVariable &GV, StringRef Type,
                               StringRef Size) {
  if (std::optional<int64_t> FromType = mapTypeSize(GV, Type))
    return FromType;
  return mapIntAttribute(GV, Size);
}

std::string compilerIdent(const Module &M) {
  if (const NamedMDNode *Ident = M.getNamedMetadata("llvm.ident"))
    if (Ident->getNumOperands() > 0)
      if (const MDNode *Node = Ident->getOperand(0);
          Node && Node->getNumOperands() > 0)
        if (const auto *Str = dyn_cast<MDString>(Node->getOperand(0)))
          return Str->getString().str();
  return "unknown";
}

std::optional<std::string> fileSHA256(StringRef Path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buffer = MemoryBuffer::getFile(
      Path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!Buffer)
    return std::nullopt;
  std::array<uint8_t, 32> Digest =
      SHA256::hash(arrayRefFromStringRef((*Buffer)->getBuffer()));
  return toHex(Digest, /*LowerCase=*/true);
}

std::optional<std::string> licenseOf(const GlobalVariable &GV) {
  if (!GV.hasInitializer())
    return std::nullopt;
  const auto *Data = dyn_cast<ConstantDataSequential>(GV.getInitializer());
  if (!Data || !Data->isString())
    return std::nullopt;
  StringRef Text = Data->getAsString();
  return Text.take_until([](char C) { return C == '\0'; }).str();
}

/// Entries of one manifest array, emitted sorted by name: the module's order
/// of globals is clang's emission order (tentative definitions last), which
/// says nothing about the source, and sorted output is easy to compare.
class NamedEntries {
public:
  void add(StringRef Name, json::Object Entry) {
    Entries.emplace_back(Name.str(), std::move(Entry));
  }
  json::Array take() {
    llvm::stable_sort(Entries, [](const auto &A, const auto &B) {
      return A.first < B.first;
    });
    json::Array Array;
    for (auto &[Name, Entry] : Entries)
      Array.push_back(std::move(Entry));
    Entries.clear();
    return Array;
  }

private:
  std::vector<std::pair<std::string, json::Object>> Entries;
};

bool isCompilerGenerated(const GlobalVariable &GV) {
  return GV.hasPrivateLinkage() || GV.getName().starts_with("llvm.") ||
         GV.getSection() == "llvm.metadata";
}

} // namespace

namespace {

bool isDataSection(StringRef Section) {
  for (StringRef Prefix : {".data", ".rodata", ".bss"})
    if (Section == Prefix || Section.starts_with((Prefix + ".").str()))
      return true;
  return false;
}

} // namespace

std::vector<LimitViolation> checkLoaderLimits(const Module &M) {
  std::vector<LimitViolation> Violations;
  unsigned Programs = 0;
  for (const Function &F : M) {
    if (F.isDeclaration() || !F.hasSection() || F.getSection() == ".text")
      continue;
    if (++Programs == MaxLoaderPrograms + 1)
      Violations.push_back({LimitViolation::Programs, F.getName().str(),
                            F.getName().str(), Programs, MaxLoaderPrograms});
  }
  // Subprograms (functions left in .text) take a slot each too: libbpf
  // counts every function of an executable section as a program.
  if (Programs <= MaxLoaderPrograms) {
    unsigned Slots = Programs;
    for (const Function &F : M) {
      if (F.isDeclaration() || F.isIntrinsic() ||
          (F.hasSection() && F.getSection() != ".text"))
        continue;
      if (++Slots == MaxLoaderPrograms + 1)
        Violations.push_back({LimitViolation::Slots, F.getName().str(),
                              F.getName().str(), Slots, MaxLoaderPrograms});
    }
  }

  // libbpf makes one map per .maps variable and one per data section that
  // reaches the object (string literals included), plus .kconfig.
  SectionOracle Sections(M);
  StringSet<> DataSections;
  unsigned Maps = 0;
  bool HasKconfig = false;
  auto CountMap = [&](std::string Name, StringRef Global) {
    if (++Maps == MaxLoaderMaps + 1)
      Violations.push_back({LimitViolation::Maps, std::move(Name), Global.str(),
                            Maps, MaxLoaderMaps});
  };
  // In libbpf's order: .maps maps, then data sections, then .kconfig.
  auto Counted = [](const GlobalVariable &GV) {
    return GV.getName() != UnitGlobalName &&
           GV.getSection() != "llvm.metadata" &&
           !GV.getName().starts_with("llvm.");
  };
  for (const GlobalVariable &GV : M.globals()) {
    StringRef Section = GV.getSection();
    if (Counted(GV) && !GV.isDeclaration() &&
        (Section == ".maps" || Section.starts_with(".maps.")))
      CountMap(GV.getName().str(), GV.getName());
  }
  for (const GlobalVariable &GV : M.globals()) {
    if (!Counted(GV))
      continue;
    if (GV.isDeclaration()) {
      HasKconfig |= GV.getSection() == ".kconfig";
      continue;
    }
    std::string DataSection = Sections.sectionOf(GV);
    if (isDataSection(DataSection) && DataSections.insert(DataSection).second)
      CountMap(DataSection + " (holding '" + GV.getName().str() + "')",
               GV.getName());
  }
  if (HasKconfig)
    CountMap(".kconfig", "");
  return Violations;
}

std::string describeLimit(const LimitViolation &V) {
  if (V.Kind == LimitViolation::Slots)
    return "subprogram '" + V.Name + "' needs loader stack slot number " +
           std::to_string(V.Number) + " of this unit (one per program and " +
           "subprogram), but one signed loader has " + std::to_string(V.Limit) +
           " (the loader's 512-byte BPF stack); split the programs into "
           "separate objects";
  if (V.Kind == LimitViolation::Programs)
    return "program '" + V.Name + "' is program number " +
           std::to_string(V.Number) + " of this unit, but one signed loader " +
           "can carry at most " + std::to_string(V.Limit) +
           " (one fd slot each on the loader's 512-byte BPF stack); split the "
           "programs into separate objects";
  return "map '" + V.Name + "' is map number " + std::to_string(V.Number) +
         " of this unit (counting .data/.rodata/.bss sections and .kconfig), "
         "but one signed loader can carry at most " +
         std::to_string(V.Limit) +
         " (libbpf gen_loader MAX_USED_MAPS); split the maps into separate "
         "objects";
}

std::string buildUnitManifest(const Module &M, const FrontendFacts *Facts) {
  SectionOracle Sections(M);
  NamedEntries Programs, Maps, Globals, Externs;
  std::optional<std::string> License;

  for (const Function &F : M) {
    if (F.isDeclaration()) {
      if (F.getSection() == ".ksyms")
        Externs.add(F.getName(),
                    json::Object{{"name", F.getName()},
                                 {"kind", "ksym"},
                                 {"function", true},
                                 {"weak", F.hasExternalWeakLinkage()}});
      continue;
    }
    // Functions without a section are subprograms in .text, not programs.
    if (!F.hasSection() || F.getSection() == ".text")
      continue;
    json::Object Program{{"function", F.getName()},
                         {"section", F.getSection()}};
    addLocation(Program, F, Facts);
    Programs.add(F.getName(), std::move(Program));
  }

  for (const GlobalVariable &GV : M.globals()) {
    if (GV.getName() == UnitGlobalName || isCompilerGenerated(GV))
      continue;
    StringRef Section = GV.getSection();
    if (GV.isDeclaration()) {
      StringRef Kind = Section == ".kconfig" ? "kconfig"
                       : Section == ".ksyms" ? "ksym"
                                             : "";
      if (!Kind.empty())
        Externs.add(GV.getName(),
                    json::Object{{"name", GV.getName()},
                                 {"kind", Kind},
                                 {"function", false},
                                 {"weak", GV.hasExternalWeakLinkage()}});
      continue;
    }
    if (Section == "license") {
      License = licenseOf(GV);
      continue;
    }
    if (Section == ".maps" || Section.starts_with(".maps.")) {
      json::Object Map{{"name", GV.getName()}, {"section", Section}};
      if (std::optional<int64_t> Type = mapIntAttribute(GV, "type"))
        Map["type"] = *Type;
      if (std::optional<int64_t> MaxEntries =
              mapIntAttribute(GV, "max_entries"))
        Map["max_entries"] = *MaxEntries;
      if (std::optional<int64_t> KeySize = mapSize(GV, "key", "key_size"))
        Map["key_size"] = *KeySize;
      if (std::optional<int64_t> ValueSize = mapSize(GV, "value", "value_size"))
        Map["value_size"] = *ValueSize;
      addLocation(Map, GV, Facts);
      Maps.add(GV.getName(), std::move(Map));
      continue;
    }
    json::Object Global{
        {"name", GV.getName()},
        {"section", Sections.sectionOf(GV)},
        {"size", static_cast<int64_t>(
                     M.getDataLayout().getTypeAllocSize(GV.getValueType()))}};
    if (std::optional<bool> CV = isConstVolatile(GV, Facts))
      Global["const_volatile"] = *CV;
    else
      Global["const_volatile"] = nullptr;
    addLocation(Global, GV, Facts);
    Globals.add(GV.getName(), std::move(Global));
  }

  std::optional<std::string> SourceHash;
  if (Facts && !Facts->SourceSHA256.empty())
    SourceHash = Facts->SourceSHA256;
  else
    SourceHash = fileSHA256(M.getSourceFileName());

  json::Object Manifest{
      {"unit_format", UnitFormatVersion},
      {"source", Facts && !Facts->SourceName.empty() ? Facts->SourceName
                                                     : M.getSourceFileName()},
      {"source_sha256", SourceHash ? json::Value(*SourceHash) : nullptr},
      {"compiler", compilerIdent(M)},
      {"plugin_version", BPFSEAL_PLUGIN_VERSION},
      {"license", License ? json::Value(*License) : nullptr},
      {"programs", Programs.take()},
      {"maps", Maps.take()},
      {"globals", Globals.take()},
      {"externs", Externs.take()},
  };
  std::string Text;
  raw_string_ostream OS(Text);
  OS << json::Value(std::move(Manifest));
  return Text;
}

PreservedAnalyses UnitManifestPass::run(Module &M, ModuleAnalysisManager &) {
  // Only BPF objects are sealed; on any other target the pass is silent.
  if (!Triple(M.getTargetTriple()).isBPF())
    return PreservedAnalyses::all();
  // Loaded both as -fplugin and -fpass-plugin: the first instance wins.
  if (M.getNamedGlobal(UnitGlobalName))
    return PreservedAnalyses::all();

  for (const LimitViolation &V : checkLoaderLimits(M)) {
    if (Facts && Facts->ReportLimit) {
      Facts->ReportLimit(V);
      continue;
    }
    // -fpass-plugin alone: no clang DiagnosticsEngine to report through.
    std::string Where;
    if (const GlobalObject *GO =
            M.getNamedValue(V.LookupName)
                ? dyn_cast<GlobalObject>(M.getNamedValue(V.LookupName))
                : nullptr)
      if (std::optional<SourceLocation> Loc = locationOf(*GO, nullptr))
        Where = Loc->File + ":" + std::to_string(Loc->Line) + ": ";
    M.getContext().emitError("bpfseal: " + Where + describeLimit(V));
  }

  // libbpf's virtual externs LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER
  // (usdt.bpf.h, BPF_KSYSCALL) come from feature probes, which gen_loader
  // answers with "latest kernel" (true) without looking at the sealing
  // machine, so they are the same for every build and need no opt-in.
  auto MachineIndependent = [](StringRef Name) {
    return Name == "LINUX_HAS_BPF_COOKIE" ||
           Name == "LINUX_HAS_SYSCALL_WRAPPER";
  };
  if (Facts && Facts->ReportKconfig)
    for (const GlobalVariable &GV : M.globals())
      if (GV.isDeclaration() && GV.getSection() == ".kconfig" &&
          !MachineIndependent(GV.getName()))
        Facts->ReportKconfig(GV.getName());

  std::string Manifest = buildUnitManifest(M, Facts.get());
  Constant *Init = ConstantDataArray::getString(M.getContext(), Manifest,
                                                /*AddNull=*/true);
  auto *GV =
      new GlobalVariable(M, Init->getType(), /*isConstant=*/true,
                         GlobalValue::PrivateLinkage, Init, UnitGlobalName);
  GV->setSection(UnitSectionName);
  GV->setAlignment(Align(1));
  // !exclude makes the ELF section SHF_EXCLUDE without SHF_ALLOC: libbpf does
  // not treat it as a data map and nothing maps it at load time.
  GV->setMetadata(LLVMContext::MD_exclude, MDNode::get(M.getContext(), {}));
  appendToCompilerUsed(M, {GV});
  return PreservedAnalyses::none();
}

void registerUnitManifestPass(PassBuilder &PB,
                              std::shared_ptr<const FrontendFacts> Facts) {
  PB.registerOptimizerLastEPCallback(
      [Facts](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(UnitManifestPass(Facts));
      });
}

} // namespace bpfseal

//===- OneCallSeal.cpp - Seal the object clang just wrote -----------------===//
//
// Part of bpfseal. Clang renames its temporary output into place in
// FrontendAction::EndSourceFile, after every consumer hook; the only point
// where the finished object is guaranteed to exist is process exit. The exit
// handler reads the object, seals it with the same library `bpfseal seal`
// uses, signs it when a key was given, and replaces the output atomically.
// On failure it prints one clang-style error, removes the output (so a build
// system never sees an unsealed object under the sealed name) and ends the
// process with status 1.
//
//===----------------------------------------------------------------------===//

#include "BpfSeal/OneCallSeal.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#ifdef BPFSEAL_HAVE_SEALER
#include "bpfseal/format.h"
#include "bpfseal/sealer.h"
#include "bpfseal/signing.h"
#endif

#include <cstdlib>
#include <mutex>
#include <unistd.h>
#include <vector>

using namespace llvm;

namespace bpfseal {
namespace {

struct SealJob {
  PluginOptions Options;
  std::string InputPath;
  std::string OutputPath;
  bool Succeeded = false;
  bool HadPreviousOutput = false;
  sys::fs::UniqueID PreviousOutput;
  sys::TimePoint<> PreviousModified;
};

std::mutex JobsMutex;
std::vector<SealJob> &jobs() {
  static auto *Jobs = new std::vector<SealJob>(); // outlives static dtors
  return *Jobs;
}
int CurrentJob = -1;

/// Reports a failed job like a clang driver error and removes its output,
/// so a build system never finds an unsealed object under the sealed name.
void reportFailure(const SealJob &Job, const std::string &Message) {
  WithColor::error(errs(), "clang")
      << "bpfseal: cannot seal '" << Job.OutputPath << "' (from '"
      << Job.InputPath << "'): " << Message << "\n";
  errs().flush();
  sys::fs::remove(Job.OutputPath);
}

#ifdef BPFSEAL_HAVE_SEALER
std::string describe(const Error &E) { return E.str(); }

/// Seals one job's output in place; returns why it failed, or "".
std::string runSealJob(const SealJob &Job) {
  sys::fs::file_status FileStatus;
  if (sys::fs::status(Job.OutputPath, FileStatus) ||
      !sys::fs::is_regular_file(FileStatus))
    return "clang did not write the object file";
  if (Job.HadPreviousOutput && FileStatus.getUniqueID() == Job.PreviousOutput &&
      FileStatus.getLastModificationTime() == Job.PreviousModified)
    return "clang did not replace the previous object file";

  Result<std::vector<uint8_t>> Object = format::readFile(Job.OutputPath);
  if (!Object)
    return describe(Object.error());

  sealer::SealOptions SealOpts;
  SealOpts.sets = Job.Options.Sets;
  SealOpts.kernel_btf_files = Job.Options.KernelBtfFiles;
  SealOpts.object_name = Job.Options.ObjectName;
  if (SealOpts.object_name.empty())
    SealOpts.object_name = sealer::defaultObjectName(Job.InputPath);
  Result<std::vector<uint8_t>> Sealed = sealer::sealObject(*Object, SealOpts);
  if (!Sealed)
    return describe(Sealed.error());

  std::vector<uint8_t> Final = Sealed.take();
  if (!Job.Options.Key.empty()) {
    signing::KeyOptions KeyOpts;
    KeyOpts.pass = Job.Options.KeyPass;
    auto Key =
        signing::loadSigningKey(Job.Options.Key, Job.Options.Cert, KeyOpts);
    if (!Key)
      return describe(Key.error());
    Result<std::vector<uint8_t>> Signed = signing::signSealedFile(Final, **Key);
    if (!Signed)
      return describe(Signed.error());
    Final = Signed.take();
  }
  if (Status WriteStatus = format::writeFileAtomic(Job.OutputPath, Final);
      !WriteStatus)
    return describe(WriteStatus.error());
  return "";
}
#else
std::string runSealJob(const SealJob &) {
  return "sealing support not built (BpfSealPlugin was built without "
         "bpfseal_sealer; use 'bpfseal seal' on the object instead)";
}
#endif

void sealQueuedObjects() {
  std::lock_guard<std::mutex> Lock(JobsMutex);
  bool Failed = false;
  for (const SealJob &Job : jobs()) {
    if (!Job.Succeeded)
      continue;
    if (std::string Error = runSealJob(Job); !Error.empty()) {
      reportFailure(Job, Error);
      Failed = true;
    }
  }
  // Inside an exit handler: calling exit() again would be undefined.
  if (Failed)
    _exit(1);
}

} // namespace

bool sealingSupported() {
#ifdef BPFSEAL_HAVE_SEALER
  return true;
#else
  return false;
#endif
}

unsigned queueSeal(const PluginOptions &Options, std::string InputPath,
                   std::string OutputPath) {
  std::lock_guard<std::mutex> Lock(JobsMutex);
  static bool HandlerInstalled = false;
  if (!HandlerInstalled) {
    std::atexit(sealQueuedObjects);
    HandlerInstalled = true;
  }
  SealJob Job;
  Job.Options = Options;
  Job.InputPath = std::move(InputPath);
  Job.OutputPath = std::move(OutputPath);
  sys::fs::file_status Status;
  if (!sys::fs::status(Job.OutputPath, Status) && sys::fs::exists(Status)) {
    Job.HadPreviousOutput = true;
    Job.PreviousOutput = Status.getUniqueID();
    Job.PreviousModified = Status.getLastModificationTime();
  }
  jobs().push_back(std::move(Job));
  CurrentJob = static_cast<int>(jobs().size() - 1);
  return static_cast<unsigned>(CurrentJob);
}

void markCompileSucceeded(unsigned Job, bool Succeeded) {
  std::lock_guard<std::mutex> Lock(JobsMutex);
  if (Job < jobs().size())
    jobs()[Job].Succeeded = Succeeded;
  CurrentJob = -1;
}

int currentSealJob() { return CurrentJob; }

} // namespace bpfseal

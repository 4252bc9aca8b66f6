//===- PluginOptions.h - -fplugin-arg-bpfseal-* arguments -------*- C++ -*-===//
//
// Part of bpfseal. Arguments reach the plugin as `-fplugin-arg-bpfseal-NAME`
// or `-fplugin-arg-bpfseal-NAME=VALUE`; clang hands them over as "NAME" and
// "NAME=VALUE". Unknown names are errors so a typo never goes unnoticed.
//
//===----------------------------------------------------------------------===//
#ifndef BPFSEAL_PLUGINOPTIONS_H
#define BPFSEAL_PLUGINOPTIONS_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace bpfseal {

struct PluginOptions {
  /// Accept `__kconfig` externs (their values come from the sealing machine).
  bool AllowKconfig = false;
  /// Do not warn about `const volatile` globals.
  bool NoWarnConfig = false;
  /// Seal (and with Key/Cert also sign) the object after clang wrote it.
  bool Seal = false;
  /// NAME=VALUE assignments: their variables need no const volatile
  /// warning, and one-call sealing bakes them (`bpfseal seal --set`).
  std::vector<std::string> Sets;
  /// Extra `struct bpf_map` layouts for loader-check variants.
  std::vector<std::string> KernelBtfFiles;
  std::string ObjectName;
  std::string Key;
  std::string Cert;
  /// Passphrase source of an encrypted key or PIN of a PKCS#11 token:
  /// "env:VAR", "file:PATH" or "pass:TEXT" (signing::KeyOptions::pass).
  std::string KeyPass;

  /// Applies one argument; on failure returns false and sets \p Error to a
  /// one-line explanation.
  bool apply(llvm::StringRef Arg, std::string &Error);
  /// Checks combinations once all arguments are applied.
  bool validate(std::string &Error) const;

  /// The variable a --set assignment names ("cfg" for "cfg=3").
  static llvm::StringRef setTarget(llvm::StringRef Assignment);
};

} // namespace bpfseal

#endif // BPFSEAL_PLUGINOPTIONS_H

//===- PluginOptions.cpp - -fplugin-arg-bpfseal-* arguments ---------------===//
//
// Part of bpfseal.
//
//===----------------------------------------------------------------------===//

#include "BpfSeal/PluginOptions.h"

#include "llvm/ADT/StringSwitch.h"

using namespace llvm;

namespace bpfseal {

static constexpr char KnownArguments[] =
    "allow-kconfig, no-warn-config, seal, set=NAME=VALUE, key=KEY, "
    "cert=CERT, key-pass=SOURCE, kernel-btf=FILE, object-name=NAME";

bool PluginOptions::apply(StringRef Arg, std::string &Error) {
  auto [Name, Value] = Arg.split('=');
  bool HasValue = Arg.contains('=');

  enum class Kind { Flag, Valued, Unknown };
  Kind K = StringSwitch<Kind>(Name)
               .Cases("allow-kconfig", "no-warn-config", "seal", Kind::Flag)
               .Cases("set", "key", "cert", "key-pass", "kernel-btf",
                      "object-name", Kind::Valued)
               .Default(Kind::Unknown);
  if (K == Kind::Unknown) {
    Error = "unknown argument '-fplugin-arg-bpfseal-" + Arg.str() +
            "' (known: " + KnownArguments + ")";
    return false;
  }
  if (K == Kind::Flag && HasValue) {
    Error = "argument '-fplugin-arg-bpfseal-" + Name.str() + "' takes no value";
    return false;
  }
  if (K == Kind::Valued && Value.empty()) {
    Error = "argument '-fplugin-arg-bpfseal-" + Name.str() +
            "' needs a value: -fplugin-arg-bpfseal-" + Name.str() + "=...";
    return false;
  }

  if (Name == "allow-kconfig")
    AllowKconfig = true;
  else if (Name == "no-warn-config")
    NoWarnConfig = true;
  else if (Name == "seal")
    Seal = true;
  else if (Name == "set") {
    if (!Value.contains('=') || setTarget(Value).empty()) {
      Error =
          "'-fplugin-arg-bpfseal-set=" + Value.str() + "' is not NAME=VALUE";
      return false;
    }
    Sets.push_back(Value.str());
  } else if (Name == "kernel-btf")
    KernelBtfFiles.push_back(Value.str());
  else if (Name == "object-name")
    ObjectName = Value.str();
  else if (Name == "key")
    Key = Value.str();
  else if (Name == "cert")
    Cert = Value.str();
  else if (Name == "key-pass")
    KeyPass = Value.str();
  return true;
}

bool PluginOptions::validate(std::string &Error) const {
  if (!Seal) {
    // `set` alone is fine: it names variables `bpfseal seal --set` will
    // bake later, which silences their const volatile warnings.
    const char *SealOnly = !Key.empty()              ? "key"
                           : !Cert.empty()           ? "cert"
                           : !KeyPass.empty()        ? "key-pass"
                           : !KernelBtfFiles.empty() ? "kernel-btf"
                           : !ObjectName.empty()     ? "object-name"
                                                     : nullptr;
    if (SealOnly) {
      Error = std::string("'-fplugin-arg-bpfseal-") + SealOnly +
              "' only applies when sealing; add -fplugin-arg-bpfseal-seal";
      return false;
    }
  }
  if (Key.empty() != Cert.empty()) {
    Error = "signing needs both -fplugin-arg-bpfseal-key=KEY and "
            "-fplugin-arg-bpfseal-cert=CERT";
    return false;
  }
  return true;
}

StringRef PluginOptions::setTarget(StringRef Assignment) {
  StringRef Name = Assignment.split('=').first.trim();
  // "cfg.field" and "arr[2]" set parts of the variable "cfg" / "arr".
  return Name.take_until([](char C) { return C == '.' || C == '['; });
}

} // namespace bpfseal

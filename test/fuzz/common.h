// Shared setup for the bpfseal fuzzers: one throw-away signing identity per
// process, so signature checks run the whole CMS path.
#pragma once

#include "bpfseal/signing.h"

#include <string>

namespace bpfseal::fuzz {

struct Identity {
  std::string dir;       // temporary directory holding the files below
  std::string key_path;  // PEM private key
  std::string cert_path; // PEM certificate
  signing::TrustStore trust;
};

// Created on first use; aborts if the machine cannot make an RSA key.
const Identity &identity();

// stdout/stderr of the code under test go to /dev/null while a Silence lives
// (the CLI prints on every input; libFuzzer's own output is kept).
class Silence {
public:
  Silence();
  ~Silence();

private:
  int saved_out_ = -1, saved_err_ = -1;
};

} // namespace bpfseal::fuzz

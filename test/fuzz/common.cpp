#include "common.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace bpfseal::fuzz {

const Identity &identity() {
  static Identity *id = [] {
    auto *i = new Identity;
    std::string tmpl = (std::filesystem::temp_directory_path() / "bpfseal-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      std::abort();
    i->dir = tmpl;
    signing::KeygenOptions opts;
    opts.subject = "CN=bpfseal fuzz";
    auto m = signing::generateSigningKey(opts);
    if (!m) {
      std::fprintf(stderr, "fuzz: keygen failed: %s\n", m.error().str().c_str());
      std::abort();
    }
    i->key_path = i->dir + "/key.pem";
    i->cert_path = i->dir + "/cert.pem";
    std::ofstream(i->key_path) << m->key_pem;
    std::ofstream(i->cert_path) << m->cert_pem;
    auto t = signing::loadTrustStore({i->cert_path}, "");
    if (!t)
      std::abort();
    i->trust = t.take();
    std::atexit([] { std::filesystem::remove_all(identity().dir); });
    return i;
  }();
  return *id;
}

Silence::Silence() {
  std::fflush(stdout);
  std::fflush(stderr);
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  saved_out_ = dup(1);
  saved_err_ = dup(2);
  dup2(null, 1);
  dup2(null, 2);
  close(null);
}

Silence::~Silence() {
  std::fflush(stdout);
  std::fflush(stderr);
  dup2(saved_out_, 1);
  dup2(saved_err_, 2);
  close(saved_out_);
  close(saved_err_);
}

} // namespace bpfseal::fuzz

// Opens the embedded object through the C++ skeleton (no kernel access) and
// prints what the typed accessors refer to.
#include "consumer.skel.hpp"

#include <cstdio>

int main() {
  auto skel = consumer_bpf::open();
  if (!skel)
    return std::fprintf(stderr, "open: %s\n", skel.error().str().c_str()), 1;
  std::printf("object %s, %zu bytes, %s\n", std::string(consumer_bpf::kObjectName).c_str(),
              consumer_bpf::bytes().size(), consumer_bpf::kSigned ? "signed" : "unsigned");
  std::printf("program %s fd %d\n", skel->progs().on_getpid().name(),
              skel->progs().on_getpid().fd());
  std::printf("map %s fd %d\n", skel->maps().rodata().name(), skel->maps().rodata().fd());
  return 0;
}

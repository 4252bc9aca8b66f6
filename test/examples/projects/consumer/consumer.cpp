// Links libbpfseal and calls it: opening a file that is not a sealed object
// must fail with a bpfseal::Error, and the kernel probe must answer.
#include <bpfseal/bpfseal.hpp>
#include <bpfseal/version.h>

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2)
    return std::fprintf(stderr, "usage: %s FILE\n", argv[0]), 2;
  std::printf("libbpfseal %s\n", BPFSEAL_VERSION_STRING);
  auto obj = bpfseal::Object::openFile(argv[1]);
  if (obj)
    return std::printf("opened %s\n", obj->name().c_str()), 0;
  std::printf("open failed: %s\n", obj.error().str().c_str());
  return 3;
}

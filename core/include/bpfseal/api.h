/* BPFSEAL_API marks what libbpfseal.so exports: the C API (bpfseal/bpfseal.h)
 * and the C++ API (bpfseal/bpfseal.hpp and the types it uses). Everything
 * else is compiled with -fvisibility=hidden and kept local by the version
 * script runtime/libbpfseal.map; test/packaging/exported_symbols.txt lists
 * what is exported, and ctest -R packaging-exports fails on any difference.
 * C and C++; bpfseal/bpfseal.h carries the same definition so it stays a
 * single self-contained header. */
#ifndef BPFSEAL_API
#define BPFSEAL_API __attribute__((visibility("default")))
#endif

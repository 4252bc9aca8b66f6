// Alternative program groups through the C++ API, with the kernel's own view:
// while the Object is alive, which programs named alt_* exist in the kernel
// that did not before the load, and how many fds the process holds.
//   rw_alt SEALED CERT    load; print the group kept, Object::programs() and
//                         the new alt_* programs in the kernel
// A failed load prints its error, then the same kernel view and the fds it
// left (none may stay).
#include "bpfseal/bpfseal.hpp"

#include <bpf/bpf.h>
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>

namespace {

// Names of the kernel's programs whose name starts with "alt_", by id.
std::set<std::pair<uint32_t, std::string>> altPrograms() {
  std::set<std::pair<uint32_t, std::string>> out;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0)
      continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::strncmp(info.name, "alt_", 4) == 0)
      out.insert({id, info.name});
    close(fd);
  }
  return out;
}

int openFds() {
  int n = 0;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (readdir(d))
      ++n;
    closedir(d);
  }
  return n;
}

void printNew(const std::set<std::pair<uint32_t, std::string>> &before) {
  std::set<std::string> names;
  for (const auto &p : altPrograms())
    if (!before.count(p))
      names.insert(p.second);
  std::string list;
  for (const auto &n : names)
    list += " " + n;
  std::printf("alt: new kernel programs:%s\n", list.empty() ? " none" : list.c_str());
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  auto before = altPrograms();
  int fds_before = openFds();
  {
    auto obj = bpfseal::Object::openFile(argv[1]);
    if (!obj) {
      std::printf("alt: open failed: %s\n", obj.error().str().c_str());
      return 1;
    }
    bpfseal::LoadOptions lo;
    lo.trusted_certs = {argv[2]};
    auto report = obj->load(lo);
    if (!report) {
      std::printf("alt: load refused: %s\n", report.error().str().c_str());
      printNew(before);
      std::printf("alt: fds left by the failed load: %d\n", openFds() - fds_before);
      return 0;
    }
    std::printf("alt: kept '%s' (%s)\n", report->alternative.c_str(),
                report->alternative_note.empty() ? "first group" : report->alternative_note.c_str());
    std::string names;
    for (const auto &p : obj->programs())
      names += " " + p.name();
    std::printf("alt: Object::programs():%s\n", names.c_str());
    std::printf("alt: findProgram(alt_raw): %s\n", obj->findProgram("alt_raw") ? "found" : "none");
    printNew(before);
  }
  std::printf("alt: fds left after destruction: %d\n", openFds() - fds_before);
  printNew(before);
  return 0;
}

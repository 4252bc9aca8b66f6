// Building a loader context and reading back the fds the loader left in it.
#include "loader_ctx.h"

#include <bpf/bpf.h>
#include <cerrno> // skel_internal.h uses errno and EINVAL without including them
#include <bpf/skel_internal.h>

#include <cstring>

namespace bpfseal {
namespace {

size_t mapDescOffset(size_t map) { return sizeof(bpf_loader_ctx) + sizeof(bpf_map_desc) * map; }
size_t progDescOffset(size_t n_maps, size_t prog) {
  return mapDescOffset(n_maps) + sizeof(bpf_prog_desc) * prog;
}

bool isBpfObject(int fd, bool prog) {
  if (fd <= 0)
    return false;
  if (prog) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
  }
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
}

} // namespace

std::vector<uint8_t> makeLoaderCtx(const format::Manifest &manifest, uint32_t log_level,
                                   std::vector<char> &log) {
  size_t size = progDescOffset(manifest.maps.size(), manifest.programs.size());
  std::vector<uint8_t> bytes(size, 0);
  bpf_loader_ctx header{};
  header.sz = static_cast<uint32_t>(size);
  if (log_level && !log.empty()) {
    header.log_level = log_level;
    header.log_size = static_cast<uint32_t>(log.size());
    header.log_buf = reinterpret_cast<uintptr_t>(log.data());
  }
  std::memcpy(bytes.data(), &header, sizeof(header));
  return bytes;
}

Result<LoadedFds> collectLoaderFds(const format::Manifest &manifest, std::span<const uint8_t> ctx) {
  LoadedFds fds;
  std::vector<int> raw;
  size_t n_maps = manifest.maps.size();
  for (size_t i = 0; i < n_maps; ++i) {
    bpf_map_desc desc;
    std::memcpy(&desc, ctx.data() + mapDescOffset(i), sizeof(desc));
    raw.push_back(desc.map_fd);
  }
  for (size_t i = 0; i < manifest.programs.size(); ++i) {
    bpf_prog_desc desc;
    std::memcpy(&desc, ctx.data() + progDescOffset(n_maps, i), sizeof(desc));
    raw.push_back(desc.prog_fd);
  }
  // Own first (so nothing leaks whatever happens next), then check.
  for (size_t i = 0; i < raw.size(); ++i) {
    bool is_map = i < n_maps;
    int fd = raw[i];
    bool valid = isBpfObject(fd, !is_map);
    if (valid)
      (is_map ? fds.maps : fds.progs).emplace_back(fd);
    else
      (is_map ? fds.maps : fds.progs).emplace_back(-1);
  }
  for (size_t i = 0; i < n_maps; ++i)
    if (!fds.maps[i].valid())
      return makeError(EPROTO, "the loader reported no fd for map '" + manifest.maps[i].name + "'",
                       "the loader and the manifest disagree; re-seal the object");
  for (size_t i = 0; i < manifest.programs.size(); ++i)
    if (!fds.progs[i].valid())
      return makeError(EPROTO,
                       "the loader reported no fd for program '" + manifest.programs[i].name + "'",
                       "the loader and the manifest disagree; re-seal the object");
  return fds;
}

} // namespace bpfseal

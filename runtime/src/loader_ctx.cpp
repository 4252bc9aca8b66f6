// Building a loader context and reading back the fds the loader left in it.
#include "loader_ctx.h"

#include <bpf/bpf.h>
#include <bpf/skel_internal.h>
#include <cerrno> // skel_internal.h uses errno and EINVAL without including them

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

// Keeps the first alternative group whose programs all have fds and closes
// every program of every other group (loaded or not), so nothing of a group
// not kept stays in the kernel. No group whole: an error naming each group's
// refusals (the caller's LoadedFds then closes everything).
Status keepFirstWholeGroup(const format::Manifest &manifest,
                           const std::vector<const format::AlternativeGroup *> &group_of,
                           const std::vector<int> &raw, LoadedFds &fds) {
  const size_t n_maps = manifest.maps.size();
  const format::AlternativeGroup *kept = nullptr;
  std::string refused;
  int first_err = 0;
  for (const format::AlternativeGroup &g : manifest.alternatives) {
    std::string why;
    for (size_t i = 0; i < manifest.programs.size(); ++i) {
      if (group_of[i] != &g || fds.progs[i].valid())
        continue;
      int err = raw[n_maps + i] < 0 ? -raw[n_maps + i] : EPROTO;
      first_err = first_err ? first_err : err;
      why += (why.empty() ? "" : ", ") + manifest.programs[i].name + " " + errnoName(err);
    }
    if (why.empty()) {
      kept = &g;
      break;
    }
    refused +=
        (refused.empty() ? "" : "; ") + std::string("'") + g.name + "' refused (" + why + ")";
  }
  for (size_t i = 0; i < manifest.programs.size(); ++i)
    if (group_of[i] && group_of[i] != kept)
      fds.progs[i].reset();
  if (!kept)
    return makeError(first_err ? first_err : ENOEXEC,
                     "the kernel accepted no alternative group whole: " + refused,
                     "each group needs all of its programs; 'bpfseal load --log-level 1' shows the "
                     "verifier's reasons, 'bpfseal probe' what this kernel supports");
  fds.alternative = kept->name;
  fds.alternative_note = refused;
  return ok();
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
  std::vector<const format::AlternativeGroup *> group_of(manifest.programs.size(), nullptr);
  for (const format::AlternativeGroup &g : manifest.alternatives)
    for (const std::string &name : g.programs)
      for (size_t i = 0; i < manifest.programs.size(); ++i)
        if (manifest.programs[i].name == name)
          group_of[i] = &g;
  // Only programs of alternative groups may be missing: their loads are
  // optional in the loader, which leaves the kernel's -errno as the fd.
  for (size_t i = 0; i < manifest.programs.size(); ++i)
    if (!fds.progs[i].valid() && !group_of[i])
      return makeError(EPROTO,
                       "the loader reported no fd for program '" + manifest.programs[i].name + "'",
                       "the loader and the manifest disagree; re-seal the object");
  if (manifest.alternatives.empty())
    return fds;
  if (Status st = keepFirstWholeGroup(manifest, group_of, raw, fds); !st)
    return st.takeError();
  return fds;
}

} // namespace bpfseal

#include "checked_cache.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

namespace bpfseal {
namespace {

// A few objects per process, bounded in bytes so a tool that opens many
// large objects once each does not keep them all.
constexpr size_t kMaxEntries = 8;
constexpr size_t kMaxBytes = 64u << 20;

std::mutex cache_lock;
std::vector<std::shared_ptr<const format::SealedObject>> cache; // least recent first

// About what an entry keeps: the file, the metadata copy, the loaders, and
// the parsed manifest, estimated at twice the metadata (a manifest of many
// tiny strings takes more; the entry count and the per-entry cap bound it).
// Entries are kept whether or not a signature later verifies: the checks
// are of the bytes, and the caps keep a stream of hostile files bounded.
size_t entryBytes(const format::SealedObject &s) {
  size_t total = s.file.size() + 3 * s.metadata.size();
  for (const format::LoaderImage &l : s.loaders)
    total += l.insns.size() + l.signature.size();
  return total;
}

size_t cachedBytes() {
  size_t total = 0;
  for (const auto &e : cache)
    total += entryBytes(*e);
  return total;
}

} // namespace

std::shared_ptr<const format::SealedObject> recallCheckedObject(std::span<const uint8_t> file) {
  std::lock_guard<std::mutex> guard(cache_lock);
  auto it = std::find_if(cache.begin(), cache.end(), [&](const auto &e) {
    return e->file.size() == file.size() &&
           (file.empty() || std::memcmp(e->file.data(), file.data(), file.size()) == 0);
  });
  if (it == cache.end())
    return nullptr;
  std::shared_ptr<const format::SealedObject> hit = *it;
  cache.erase(it);
  cache.push_back(hit);
  return hit;
}

void rememberCheckedObject(std::shared_ptr<const format::SealedObject> sealed) {
  if (!sealed || entryBytes(*sealed) > kMaxBytes / 4)
    return;
  std::lock_guard<std::mutex> guard(cache_lock);
  std::erase_if(cache, [&](const auto &e) { return e->file == sealed->file; });
  cache.push_back(std::move(sealed));
  while (cache.size() > kMaxEntries || cachedBytes() > kMaxBytes)
    cache.erase(cache.begin());
}

} // namespace bpfseal

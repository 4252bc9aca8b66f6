#include "trust_cache.h"

#include <sys/stat.h>

#include <mutex>

namespace bpfseal {
namespace {

struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  struct timespec mtime{};
  struct timespec ctime{};
  bool operator==(const FileStamp &o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
           ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

bool stampOf(const std::string &path, FileStamp &out) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return false;
  out = {st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
  return true;
}

struct Entry {
  std::vector<std::string> files;
  std::vector<FileStamp> stamps;
  std::shared_ptr<const signing::TrustStore> store;
  std::vector<std::pair<SignedBytes, signing::SignerInfo>> verdicts; // least recent first
};

std::mutex cache_lock;
std::vector<Entry> cache; // a handful of certificate sets per process at most
constexpr size_t kMaxVerdicts = 16;

// The entry of a store cachedTrustStore() handed out (cache_lock held).
Entry *entryOf(const signing::TrustStore &store) {
  for (Entry &e : cache)
    if (e.store.get() == &store)
      return &e;
  return nullptr;
}

} // namespace

Result<std::shared_ptr<const signing::TrustStore>>
cachedTrustStore(const std::vector<std::string> &cert_files, const std::string &ca_dir) {
  std::vector<FileStamp> stamps(cert_files.size());
  bool cacheable = ca_dir.empty() && !cert_files.empty();
  for (size_t i = 0; cacheable && i < cert_files.size(); ++i)
    cacheable = stampOf(cert_files[i], stamps[i]);
  if (cacheable) {
    std::lock_guard<std::mutex> guard(cache_lock);
    for (const Entry &e : cache)
      if (e.files == cert_files && e.stamps == stamps)
        return e.store;
  }
  auto trust = signing::loadTrustStore(cert_files, ca_dir);
  if (!trust)
    return trust.takeError();
  auto store = std::make_shared<const signing::TrustStore>(trust.take());
  if (cacheable) {
    // Stamped before reading: a file changed while it was read is stamped
    // older than its contents and is read again next time.
    std::lock_guard<std::mutex> guard(cache_lock);
    std::erase_if(cache, [&](const Entry &e) { return e.files == cert_files; });
    if (cache.size() >= 8)
      cache.erase(cache.begin());
    cache.push_back({cert_files, stamps, store, {}});
  }
  return store;
}

std::optional<signing::SignerInfo> recallVerdict(const signing::TrustStore &store,
                                                 const SignedBytes &signed_bytes) {
  std::lock_guard<std::mutex> guard(cache_lock);
  Entry *e = entryOf(store);
  if (!e)
    return std::nullopt;
  for (const auto &[bytes, signer] : e->verdicts)
    if (bytes == signed_bytes)
      return signer;
  return std::nullopt;
}

void rememberVerdict(const signing::TrustStore &store, SignedBytes signed_bytes,
                     const signing::SignerInfo &signer) {
  if (!signer.verified)
    return;
  std::lock_guard<std::mutex> guard(cache_lock);
  Entry *e = entryOf(store); // a CA-directory store has none: never kept
  if (!e)
    return;
  std::erase_if(e->verdicts, [&](const auto &v) { return v.first == signed_bytes; });
  if (e->verdicts.size() >= kMaxVerdicts)
    e->verdicts.erase(e->verdicts.begin());
  e->verdicts.emplace_back(std::move(signed_bytes), signer);
}

} // namespace bpfseal

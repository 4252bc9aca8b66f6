// Trust stores are parsed once per process and set of files: a service that
// loads many objects with the same --cert does not re-read and re-parse the
// certificates on every load. A cached store is reused only while every
// certificate file is the same file with the same contents as far as the
// kernel's stat says (device, inode, size, mtime and ctime, which no user
// can set back): a rotated or rewritten certificate is read again.
// A CA directory is never cached (its file list would have to be re-read).
#pragma once

#include "bpfseal/signing.h"

#include <memory>
#include <string>
#include <vector>

namespace bpfseal {

Result<std::shared_ptr<const signing::TrustStore>>
cachedTrustStore(const std::vector<std::string> &cert_files, const std::string &ca_dir);

} // namespace bpfseal

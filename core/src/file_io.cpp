// Bounded reads and atomic writes, shared by the CLI, the sealer and signer.
#include "bpfseal/format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bpfseal::format {
namespace {

constexpr uint64_t kMaxInputFile = 1ull << 30; // vmlinux with DWARF fits

} // namespace

Result<std::vector<uint8_t>> readFile(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError(errno, "cannot open '" + path + "'", "check the path and permissions");
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0)
    return makeError(errno, "cannot stat '" + path + "'");
  if (S_ISDIR(st.st_mode))
    return makeError(EISDIR, "'" + path + "' is a directory", "pass a file");
  // Bounded, so /dev/zero or a FIFO that never ends is an error, not a hang.
  auto tooBig = [&] {
    return makeError(EFBIG,
                     "'" + path + "' is larger than " + std::to_string(kMaxInputFile >> 20) +
                         " MiB, which no BPF object, signature or BTF file is",
                     "check that the right file was passed");
  };
  if (S_ISREG(st.st_mode) && uint64_t(st.st_size) > kMaxInputFile)
    return tooBig();
  std::vector<uint8_t> bytes;
  if (S_ISREG(st.st_mode))
    bytes.reserve(size_t(st.st_size));
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return makeError(errno, "cannot read '" + path + "'");
    if (n == 0)
      break;
    if (bytes.size() + size_t(n) > kMaxInputFile)
      return tooBig();
    bytes.insert(bytes.end(), buf, buf + n);
  }
  return bytes;
}

namespace {

// Writes all of `bytes` to fd; 0 or an errno.
int writeAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;
    done += size_t(n);
  }
  return 0;
}

} // namespace

Status writeFileAtomic(const std::string &path, std::span<const uint8_t> bytes, unsigned mode) {
  // An existing output that is not a regular file (/dev/null, /dev/stdout, a
  // FIFO) is written in place: renaming over it would replace a device node
  // with a regular file (as root: /dev/null itself).
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return makeError(EISDIR, "'" + path + "' is a directory", "name the output file");
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return makeError(errno, "cannot open '" + path + "' for writing");
    int err = writeAll(fd, bytes);
    if (close(fd) != 0 && !err)
      err = errno;
    if (err)
      return makeError(err, "cannot write '" + path + "'");
    return ok();
  }
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0)
    return makeError(errno, "cannot create a file beside '" + path + "'",
                     "check that the directory exists and is writable");
  if (int err = writeAll(fd, bytes)) {
    close(fd);
    unlink(tmp.c_str());
    return makeError(err, "cannot write '" + path + "'", "check free space");
  }
  int err = 0;
  if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
    err = errno;
  if (close(fd) != 0 && !err)
    err = errno;
  if (err) {
    unlink(tmp.c_str());
    return makeError(err, "cannot finish writing '" + path + "'");
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return makeError(err, "cannot rename the output into '" + path + "'");
  }
  return ok();
}

} // namespace bpfseal::format

// Collects libbpf's diagnostics while the sealer calls into libbpf, so a
// failure can name libbpf's own reason in a one-line error instead of
// spilling its log on stderr.
#pragma once

#include <string>
#include <vector>

namespace bpfseal::sealer {

class LibbpfLogCapture {
public:
  LibbpfLogCapture();
  ~LibbpfLogCapture();
  LibbpfLogCapture(const LibbpfLogCapture &) = delete;
  LibbpfLogCapture &operator=(const LibbpfLogCapture &) = delete;

  // The last warning libbpf printed (without "libbpf: " and the newline),
  // or "" if it printed none.
  std::string lastWarning() const;

private:
  void *previous_;
};

} // namespace bpfseal::sealer

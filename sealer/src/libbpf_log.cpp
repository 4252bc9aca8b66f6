#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace bpfseal::sealer {
namespace {

// libbpf has one process-wide print callback; sealing is not reentrant
// with respect to it, so a mutex-guarded global buffer is enough.
std::mutex g_mutex;
std::vector<std::string> g_warnings;

int capture(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level != LIBBPF_WARN)
    return 0;
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  if (n <= 0)
    return 0;
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' '))
    line.pop_back();
  if (line.rfind("libbpf: ", 0) == 0)
    line.erase(0, 8);
  // Names from a damaged object can hold any byte; errors stay one line.
  for (char &c : line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  if (!line.empty())
    g_warnings.push_back(std::move(line));
  return 0;
}

} // namespace

LibbpfLogCapture::LibbpfLogCapture() {
  g_mutex.lock();
  g_warnings.clear();
  previous_ = reinterpret_cast<void *>(libbpf_set_print(capture));
}

LibbpfLogCapture::~LibbpfLogCapture() {
  libbpf_set_print(reinterpret_cast<libbpf_print_fn_t>(previous_));
  g_warnings.clear();
  g_mutex.unlock();
}

std::string LibbpfLogCapture::lastWarning() const {
  // libbpf often ends with a generic "failed to load object" line; the line
  // before it says why.
  for (auto it = g_warnings.rbegin(); it != g_warnings.rend(); ++it)
    if (it->find("failed to load object") == std::string::npos &&
        it->find("failed to open object") == std::string::npos)
      return *it;
  return g_warnings.empty() ? std::string() : g_warnings.back();
}

} // namespace bpfseal::sealer

#include "bpfseal/error.h"

#include <cstring>

namespace bpfseal {

Error makeError(int err, std::string msg, std::string hint) {
  return Error{err, std::move(msg), std::move(hint)};
}

std::string errnoName(int err) {
  const char *name = strerrorname_np(err);
  return name ? name : std::to_string(err);
}

std::string Error::str() const {
  std::string out = msg;
  if (err)
    out += " [" + errnoName(err) + "]";
  if (!hint.empty())
    out += " (hint: " + hint + ")";
  return out;
}

} // namespace bpfseal

// Errors that carry an errno, a one-line cause and a hint, shared by every
// bpfseal component.
#pragma once

#include "bpfseal/api.h"

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace bpfseal {

struct Error {
  int err = EINVAL;   // positive errno
  std::string msg;    // one line: what failed and why
  std::string hint;   // one line: what the user can do about it (may be empty)

  // "msg [ENAME]" (errnoName; no brackets when err is 0) plus " (hint: ...)"
  // when a hint is set.
  BPFSEAL_API std::string str() const;
};

BPFSEAL_API Error makeError(int err, std::string msg, std::string hint = {});

// A value or an Error. Deliberately small: no exceptions cross library
// boundaries, and the C API maps an Error onto -errno plus a message.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  explicit operator bool() const { return v_.index() == 0; }
  T &operator*() { return std::get<0>(v_); }
  const T &operator*() const { return std::get<0>(v_); }
  T *operator->() { return &std::get<0>(v_); }
  const T *operator->() const { return &std::get<0>(v_); }
  const Error &error() const { return std::get<1>(v_); }
  Error takeError() { return std::move(std::get<1>(v_)); }
  T take() { return std::move(std::get<0>(v_)); }

private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok() { return Ok{}; }

// Name of an errno value ("EKEYREJECTED"), or its number if unknown.
BPFSEAL_API std::string errnoName(int err);

} // namespace bpfseal

#pragma once

// A value or an error code, for the packet path: no exceptions, no heap, no
// message strings. std::expected would do this, but it is C++23.

#include <utility>

namespace convox::rtc {

// E is an enum class whose zero-valued enumerator `Ok` means success.
template <typename T, typename E>
class ParseResult {
 public:
  ParseResult(T value) : value_(std::move(value)), error_(E::Ok) {}  // NOLINT: implicit by design
  ParseResult(E error) : error_(error) {}                            // NOLINT: implicit by design

  bool ok() const { return error_ == E::Ok; }
  explicit operator bool() const { return ok(); }
  E error() const { return error_; }

  // Only meaningful when ok(); otherwise a default-constructed T.
  const T& value() const { return value_; }
  T& value() { return value_; }
  const T& operator*() const { return value_; }
  T& operator*() { return value_; }
  const T* operator->() const { return &value_; }
  T* operator->() { return &value_; }

 private:
  T value_{};
  E error_;
};

}  // namespace convox::rtc

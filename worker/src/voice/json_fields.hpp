#pragma once

// Reading the fields of a provider's JSON without exceptions: a missing or
// mistyped field reads as empty, null or the fallback given.

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <string_view>

namespace convox::voice {

inline std::string_view stringAt(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

inline const boost::json::object* objectAt(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

// A number that is no int64 (1.5, 1e20, beyond INT64_MAX) reads as `otherwise` too.
inline int64_t intAt(const boost::json::object& o, std::string_view key, int64_t otherwise = 0) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_number()) return otherwise;
  boost::system::error_code ec;
  const auto n = v->to_number<int64_t>(ec);
  return ec ? otherwise : n;
}

}  // namespace convox::voice

#pragma once

// Reads a row's columns in order, as the SELECT listed them.

#include "control_api/sql_connection.hpp"

#include <charconv>

namespace convox::control_api {

class RowReader {
 public:
  explicit RowReader(const SqlRow& row) : row_(row) {}

  std::string text() { return next().value_or(""); }
  std::optional<std::string> optionalText() { return next(); }
  int64_t integer() { return optionalInteger().value_or(0); }
  std::optional<int64_t> optionalInteger() {
    const auto& v = next();
    if (!v) return std::nullopt;
    int64_t out = 0;
    const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || ptr != v->data() + v->size()) throw StoreError("not an integer column: " + *v);
    return out;
  }

 private:
  const SqlValue& next() {
    if (index_ >= row_.size()) throw StoreError("row has fewer columns than read");
    return row_[index_++];
  }

  const SqlRow& row_;
  size_t index_ = 0;
};

}  // namespace convox::control_api

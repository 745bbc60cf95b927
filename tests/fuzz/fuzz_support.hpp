#pragma once

// What the fuzz targets share: an invariant check that stops libFuzzer on the
// spot, and a reader that turns the input into numbers (zeros once it runs out).

#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::fuzzing {

inline void check(bool condition) {
  if (!condition) __builtin_trap();
}

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  bool empty() const { return offset_ >= data_.size(); }
  uint8_t u8() { return offset_ < data_.size() ? data_[offset_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>((u8() << 8) | u8()); }
  uint32_t u32() { return (uint32_t{u16()} << 16) | u16(); }

 private:
  std::span<const uint8_t> data_;
  size_t offset_ = 0;
};

}  // namespace convox::fuzzing

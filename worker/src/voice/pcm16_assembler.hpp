#pragma once

// Little-endian 16-bit samples from byte chunks that may end inside a
// sample (a provider's frames and base64 pieces do not respect sample
// boundaries): the odd byte waits for the next chunk. The sample buffer is
// reused, so steady streaming does not allocate.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace convox::voice {

class Pcm16Assembler {
 public:
  // The whole samples `bytes` completes, valid until the next call.
  std::span<const int16_t> push(std::string_view bytes) {
    samples_.clear();
    size_t i = 0;
    if (hasOdd_ && !bytes.empty()) {
      samples_.push_back(sample(odd_, static_cast<uint8_t>(bytes[0])));
      hasOdd_ = false;
      i = 1;
    }
    for (; i + 1 < bytes.size(); i += 2) {
      samples_.push_back(sample(static_cast<uint8_t>(bytes[i]), static_cast<uint8_t>(bytes[i + 1])));
    }
    if (i < bytes.size()) {
      odd_ = static_cast<uint8_t>(bytes[i]);
      hasOdd_ = true;
    }
    return samples_;
  }
  void reset() { hasOdd_ = false; }

 private:
  static int16_t sample(uint8_t lo, uint8_t hi) { return static_cast<int16_t>(lo | (hi << 8)); }

  std::vector<int16_t> samples_;
  uint8_t odd_ = 0;
  bool hasOdd_ = false;
};

}  // namespace convox::voice

// libFuzzer target: the upstream NACK generator under an arbitrary stream of
// sequence numbers (any order, gaps, duplicates, jumps, wraps) and collects.
// Invariants: it never tracks more than its window; a collect writes at most
// what fits, and leaves nothing due at that instant unless the output was
// full; a number just received is not asked for at once.
#include "fuzz_support.hpp"
#include "rtc/nack_generator.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using convox::fuzzing::check;
using convox::fuzzing::Reader;
using convox::rtc::NackGenerator;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(std::span(data, size));
  NackGenerator nacks;
  uint16_t sequence = in.u16();
  int64_t now = 0;
  std::array<uint16_t, 64> out{};
  while (!in.empty()) {
    const uint8_t op = in.u8();
    now += in.u8() * 1000;
    if (op < 200) {
      sequence = (op & 0xc0) == 0xc0 ? in.u16() : static_cast<uint16_t>(sequence + static_cast<int8_t>(in.u8()));
      nacks.onPacket(sequence, now);
      std::array<uint16_t, 64> asked{};
      const size_t n = nacks.collect(now, asked);
      for (size_t i = 0; i < n; ++i) check(asked[i] != sequence);
    } else if (op < 250) {
      const size_t limit = 1 + in.u8() % out.size();
      const size_t n = nacks.collect(now, std::span(out).first(limit));
      check(n <= limit);
      if (n < limit) check(!nacks.due(now));
    } else {
      nacks.reset();
      check(nacks.missing() == 0);
    }
    check(nacks.missing() <= NackGenerator::kMaxMissing);
  }
  return 0;
}

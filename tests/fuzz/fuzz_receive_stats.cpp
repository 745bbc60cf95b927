// libFuzzer target: a publisher stream's receive statistics under an
// arbitrary stream of packets (any order, gaps, duplicates, jumps, wraps),
// Sender Reports and report blocks. Invariants: a packet is counted at most
// once until its number comes round again; received never exceeds expected;
// the totals never shrink; a report block agrees with the counters and keeps
// cumulative loss within 24 bits.
#include "fuzz_support.hpp"
#include "rtc/receive_stats.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using convox::fuzzing::check;
using convox::fuzzing::Reader;

using convox::rtc::ReceiveStats;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(std::span(data, size));
  ReceiveStats stats;
  const uint32_t clockRate = in.u8() % 2 == 0 ? 48000 : 90000;
  stats.reset(0xabcdef01, clockRate);
  uint16_t sequence = in.u16();
  uint32_t timestamp = in.u32();
  int64_t now = 0;
  uint64_t lastTotalExpected = 0;
  uint64_t lastTotalReceived = 0;
  while (!in.empty()) {
    const uint8_t op = in.u8();
    now += in.u8() * 500;
    if (op < 200) {
      // Mostly small steps, sometimes anywhere.
      sequence = (op & 0x80) != 0 && (op & 0x40) != 0 ? in.u16()
                                                      : static_cast<uint16_t>(sequence + static_cast<int8_t>(in.u8()));
      timestamp += static_cast<uint32_t>(static_cast<int8_t>(in.u8())) * 100u;
      const uint64_t before = stats.received();
      const bool counted = stats.onPacket(sequence, timestamp, now);
      if (counted) check(stats.received() == before + 1 || stats.received() == 1);
      if (!counted) check(stats.received() == before);
      // The same number again at once is never counted twice.
      if (counted) check(!stats.onPacket(sequence, timestamp, now));
    } else if (op < 230) {
      stats.onSenderReport((uint64_t{in.u32()} << 32) | in.u32(), now);
    } else {
      const auto block = stats.makeReportBlock(now);
      check(block.ssrc == 0xabcdef01);
      check(block.cumulativeLost >= 0 && block.cumulativeLost <= 0x7fffff);
      check(block.extendedHighestSequence == stats.extendedHighestSequence());
      check(block.jitter == stats.jitter());
    }
    check(stats.received() <= stats.expected());
    check(stats.totalExpected() >= lastTotalExpected && stats.totalReceived() >= lastTotalReceived);
    check(stats.totalReceived() <= stats.totalExpected());
    lastTotalExpected = stats.totalExpected();
    lastTotalReceived = stats.totalReceived();
  }
  return 0;
}

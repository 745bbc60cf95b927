#include "rtc/receive_stats.hpp"

#include <algorithm>
#include <cstdlib>

namespace convox::rtc {

namespace {

constexpr int32_t kMaxCumulativeLost = 0x7fffff;  // 24-bit signed
constexpr uint32_t kNoBadSequence = 0x10001;      // matches no 16-bit number
constexpr int64_t kCompactUnitsPerSecond = 65536;

}  // namespace

void ReceiveStats::reset(uint32_t ssrc, uint32_t clockRate) {
  *this = ReceiveStats{};
  ssrc_ = ssrc;
  clockRate_ = clockRate;
}

void ReceiveStats::start(uint16_t sequenceNumber) {
  started_ = true;
  maxSequence_ = sequenceNumber;
  cycles_ = 0;
  baseSequence_ = sequenceNumber;
  badSequence_ = kNoBadSequence;
  received_ = 1;
  expectedPrior_ = 0;
  receivedPrior_ = 0;
  window_.fill(0);
  mark(sequenceNumber);
}

void ReceiveStats::advanceTo(uint64_t extended) {
  const uint64_t highest = cycles_ + maxSequence_;
  if (extended - highest >= kWindow) {
    window_.fill(0);
    return;
  }
  for (uint64_t e = highest + 1; e <= extended; ++e) window_[(e % kWindow) / 64] &= ~(uint64_t{1} << (e % 64));
}

bool ReceiveStats::onPacket(uint16_t sequenceNumber, uint32_t rtpTimestamp, int64_t arrivalMicros) {
  if (!started_) {
    start(sequenceNumber);
    lastPacketMicros_ = arrivalMicros;
    updateJitter(rtpTimestamp, arrivalMicros);
    return true;
  }
  const auto delta = static_cast<uint16_t>(sequenceNumber - maxSequence_);
  if (delta == 0) {
    ++duplicates_;
    return false;
  }
  if (delta < kMaxDropout) {
    // In order, perhaps after a gap; a lower number means the 16 bits wrapped.
    const uint64_t cycles = sequenceNumber < maxSequence_ ? cycles_ + 0x10000 : cycles_;
    advanceTo(cycles + sequenceNumber);
    cycles_ = cycles;
    maxSequence_ = sequenceNumber;
    mark(cycles_ + sequenceNumber);
    ++received_;
    badSequence_ = kNoBadSequence;
    lastPacketMicros_ = arrivalMicros;
    updateJitter(rtpTimestamp, arrivalMicros);
    return true;
  }
  if (delta <= 0x10000 - kMaxMisorder) {
    // A jump. Only when the next packet follows it is it a restart of the
    // source (A.1); a lone one is a stray and is not counted.
    if (sequenceNumber != badSequence_) {
      badSequence_ = static_cast<uint16_t>(sequenceNumber + 1);
      return false;
    }
    expectedBefore_ += expected();
    receivedBefore_ += received_;
    start(sequenceNumber);
    haveTransit_ = false;  // the new source's timestamps have a new origin
    lastPacketMicros_ = arrivalMicros;
    updateJitter(rtpTimestamp, arrivalMicros);
    return true;
  }
  // Late, by fewer than kMaxMisorder numbers.
  const uint64_t highest = cycles_ + maxSequence_;
  const auto behind = static_cast<uint16_t>(maxSequence_ - sequenceNumber);
  if (behind > highest - baseSequence_) return false;  // from before the first packet
  const uint64_t extended = highest - behind;
  if (seen(extended)) {
    ++duplicates_;
    return false;
  }
  mark(extended);
  ++received_;
  lastPacketMicros_ = arrivalMicros;
  return true;
}

void ReceiveStats::updateJitter(uint32_t rtpTimestamp, int64_t arrivalMicros) {
  if (!haveTransit_) arrivalOriginMicros_ = arrivalMicros;
  // Arrival in RTP units from an origin of our own: only differences count.
  const int64_t elapsed = arrivalMicros - arrivalOriginMicros_;
  const auto arrival = static_cast<uint32_t>(elapsed * static_cast<int64_t>(clockRate_) / 1'000'000);
  const uint32_t transit = arrival - rtpTimestamp;
  if (haveTransit_ && rtpTimestamp == lastTimestamp_) return;  // the rest of a frame
  if (haveTransit_) {
    const int64_t d = std::abs(static_cast<int64_t>(static_cast<int32_t>(transit - lastTransit_)));
    jitterQ4_ += d - ((jitterQ4_ + 8) >> 4);
  }
  lastTransit_ = transit;
  lastTimestamp_ = rtpTimestamp;
  haveTransit_ = true;
}

void ReceiveStats::onSenderReport(uint64_t ntpTimestamp, int64_t arrivalMicros) {
  lastSrCompact_ = compactNtp(ntpTimestamp);
  lastSrMicros_ = arrivalMicros;
}

int32_t ReceiveStats::cumulativeLost() const {
  const uint64_t expected = this->expected();
  if (received_ >= expected) return 0;
  return static_cast<int32_t>(std::min<uint64_t>(expected - received_, kMaxCumulativeLost));
}

ReportBlock ReceiveStats::makeReportBlock(int64_t nowMicros) {
  ReportBlock block;
  block.ssrc = ssrc_;
  if (!started_) return block;
  const uint64_t expected = this->expected();
  const uint64_t expectedInterval = expected - expectedPrior_;
  const uint64_t receivedInterval = received_ - receivedPrior_;
  expectedPrior_ = expected;
  receivedPrior_ = received_;
  if (expectedInterval > receivedInterval) {
    const uint64_t lostInterval = expectedInterval - receivedInterval;
    block.fractionLost = static_cast<uint8_t>(std::min<uint64_t>((lostInterval << 8) / expectedInterval, 255));
  }
  block.cumulativeLost = cumulativeLost();
  block.extendedHighestSequence = extendedHighestSequence();
  block.jitter = jitter();
  if (lastSrMicros_ != 0 || lastSrCompact_ != 0) {
    block.lastSr = lastSrCompact_;
    const int64_t since = std::max<int64_t>(0, nowMicros - lastSrMicros_);
    block.delaySinceLastSr =
        static_cast<uint32_t>(std::min<int64_t>(since * kCompactUnitsPerSecond / 1'000'000, UINT32_MAX));
  }
  return block;
}

std::optional<int64_t> roundTripMicros(const ReportBlock& block, uint64_t arrivalNtp) {
  if (block.lastSr == 0) return std::nullopt;
  const auto units = static_cast<int32_t>(compactNtp(arrivalNtp) - block.lastSr - block.delaySinceLastSr);
  // The peer rounds DLSR: a round trip shorter than that reads slightly negative.
  constexpr int32_t kRoundingSlack = kCompactUnitsPerSecond / 500;  // 2 ms
  constexpr int32_t kLongest = 60 * kCompactUnitsPerSecond;
  if (units < -kRoundingSlack || units > kLongest) return std::nullopt;
  return std::max<int64_t>(0, int64_t{units} * 1'000'000 / kCompactUnitsPerSecond);
}

}  // namespace convox::rtc

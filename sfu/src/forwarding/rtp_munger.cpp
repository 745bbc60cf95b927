#include "forwarding/rtp_munger.hpp"

#include <algorithm>
#include <random>

namespace convox::sfu {

namespace {

// A run of this many consecutive packets that all land before the reorder
// window is a source that restarted its numbering under the same SSRC, not
// stragglers.
constexpr uint32_t kRestartRunLength = 3;

std::mt19937& randomEngine() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return engine;
}

}  // namespace

uint16_t randomSequenceNumber() {
  // Below 2^15 so that a receiver sees no wrap in the first packets (RFC 3550
  // only asks for unpredictable; libwebrtc does the same).
  return static_cast<uint16_t>(std::uniform_int_distribution<uint32_t>(0, 0x7fff)(randomEngine()));
}

uint32_t randomTimestamp() { return std::uniform_int_distribution<uint32_t>()(randomEngine()); }

RtpMunger::RtpMunger(uint32_t clockRateHz, uint16_t initialSequenceNumber, uint32_t initialTimestamp)
    : clockRateHz_(clockRateHz), nextOutgoing_(initialSequenceNumber), lastTimestamp_(initialTimestamp) {}

std::optional<MungedRtp> RtpMunger::forward(uint32_t ssrc, uint16_t sequenceNumber, uint32_t timestamp,
                                            int64_t arrivalMicros, uint32_t payloadBytes) {
  if (!started_ || ssrc != sourceSsrc_ || rebasePending_) {
    rebase(ssrc, sequenceNumber, timestamp, arrivalMicros);
    return send(sourceSlot(highestExtended_), sequenceNumber, timestamp, payloadBytes);
  }
  const auto delta =
      static_cast<int16_t>(static_cast<uint16_t>(sequenceNumber - static_cast<uint16_t>(highestExtended_)));
  if (delta > 0) {
    restartRun_ = 0;
    if (delta > kMaxForwardJump) {
      rebase(ssrc, sequenceNumber, timestamp, arrivalMicros);
    } else {
      advanceTo(highestExtended_ + static_cast<uint64_t>(delta));
    }
    lastTimestamp_ = timestamp + timestampOffset_;
    lastArrivalMicros_ = arrivalMicros;
    return send(sourceSlot(highestExtended_), sequenceNumber, timestamp, payloadBytes);
  }

  const uint64_t extended = highestExtended_ - static_cast<uint64_t>(-static_cast<int32_t>(delta));
  if (highestExtended_ - extended >= kReorderWindow) {
    // Too old to place, unless it is the start of a renumbered stream. Only
    // packets this far back count: a few stragglers from just before a new
    // source's first packet are ordinary reordering.
    restartRun_ = (restartRun_ > 0 && sequenceNumber == static_cast<uint16_t>(restartLast_ + 1)) ? restartRun_ + 1 : 1;
    restartLast_ = sequenceNumber;
    if (restartRun_ < kRestartRunLength) return std::nullopt;
    restartRun_ = 0;
    rebase(ssrc, sequenceNumber, timestamp, arrivalMicros);
    return send(sourceSlot(highestExtended_), sequenceNumber, timestamp, payloadBytes);
  }
  restartRun_ = 0;
  if (extended < firstExtended_) return std::nullopt;  // from before this source's first packet
  SourceSlot& slot = sourceSlot(extended);
  if (slot.extendedSequence != static_cast<uint32_t>(extended) || slot.state != SlotState::Reserved) {
    return std::nullopt;  // duplicate, or a packet we chose to skip
  }
  return send(slot, sequenceNumber, timestamp, payloadBytes);
}

void RtpMunger::skip(uint32_t ssrc, uint16_t sequenceNumber) {
  if (!started_ || ssrc != sourceSsrc_ || rebasePending_) return;
  const auto delta =
      static_cast<int16_t>(static_cast<uint16_t>(sequenceNumber - static_cast<uint16_t>(highestExtended_)));
  if (delta > 0) {
    if (delta > kMaxForwardJump) return;  // the next forwarded packet re-bases anyway
    advanceTo(highestExtended_ + static_cast<uint64_t>(delta), /*reserveLast=*/false);
    return;
  }
  const uint64_t extended = highestExtended_ - static_cast<uint64_t>(-static_cast<int32_t>(delta));
  if (extended < firstExtended_ || highestExtended_ - extended >= kReorderWindow) return;
  SourceSlot& slot = sourceSlot(extended);
  // Its outgoing number is already behind packets on the wire: it stays a
  // hole, but a later copy of the packet must not be forwarded into it.
  if (slot.extendedSequence == static_cast<uint32_t>(extended) && slot.state == SlotState::Reserved) {
    slot.state = SlotState::Skipped;
  }
}

std::optional<MungerHistoryEntry> RtpMunger::history(uint16_t outgoingSequenceNumber) const {
  const auto age = static_cast<uint16_t>(static_cast<uint16_t>(nextOutgoing_ - 1) - outgoingSequenceNumber);
  if (age >= kHistorySize || age >= outgoingIssued_) return std::nullopt;
  const size_t index = outgoingSequenceNumber % kHistorySize;
  const HistorySlot& slot = history_[index];
  if (!historySent_[index] || slot.outgoing != outgoingSequenceNumber) return std::nullopt;
  return MungerHistoryEntry{slot.ssrc, slot.sourceSequence, slot.timestamp};
}

uint32_t RtpMunger::rtpTimestampAt(int64_t nowMicros) const {
  const int64_t elapsed = nowMicros - lastArrivalMicros_;
  return lastTimestamp_ + static_cast<uint32_t>(elapsed * static_cast<int64_t>(clockRateHz_) / 1'000'000);
}

void RtpMunger::rebase(uint32_t ssrc, uint16_t sequenceNumber, uint32_t timestamp, int64_t arrivalMicros) {
  uint32_t outgoingTimestamp = lastTimestamp_;
  if (started_) {
    // Continue the outgoing clock by the time that really passed, so that a
    // receiver's jitter buffer and A/V sync see no jump either way.
    const int64_t elapsed = std::max<int64_t>(arrivalMicros - lastArrivalMicros_, 0);
    const int64_t ticks = elapsed * static_cast<int64_t>(clockRateHz_) / 1'000'000;
    outgoingTimestamp += static_cast<uint32_t>(std::max<int64_t>(ticks, 1));
  }
  // Start the new source's extended numbers two cycles above the old ones so
  // that no slot of the old source can be mistaken for one of the new.
  const uint64_t cycles = started_ ? (highestExtended_ >> 16) + 2 : 1;
  highestExtended_ = (cycles << 16) | sequenceNumber;
  firstExtended_ = highestExtended_;
  sourceSsrc_ = ssrc;
  timestampOffset_ = outgoingTimestamp - timestamp;
  lastTimestamp_ = outgoingTimestamp;
  lastArrivalMicros_ = arrivalMicros;
  restartRun_ = 0;
  started_ = true;
  rebasePending_ = false;
  reserve(highestExtended_, sequenceNumber);
}

void RtpMunger::advanceTo(uint64_t extended, bool reserveLast) {
  for (uint64_t missing = highestExtended_ + 1; missing < extended; ++missing) {
    reserve(missing, static_cast<uint16_t>(missing));
  }
  highestExtended_ = extended;
  if (reserveLast) {
    reserve(extended, static_cast<uint16_t>(extended));
  } else {
    sourceSlot(extended) = SourceSlot{static_cast<uint32_t>(extended), 0, SlotState::Skipped};
  }
}

void RtpMunger::reserve(uint64_t extended, uint16_t sequenceNumber) {
  const uint16_t outgoing = nextOutgoing_++;
  if (outgoingIssued_ < kHistorySize) ++outgoingIssued_;
  sourceSlot(extended) = SourceSlot{static_cast<uint32_t>(extended), outgoing, SlotState::Reserved};
  const size_t index = outgoing % kHistorySize;
  history_[index] = HistorySlot{sourceSsrc_, 0, sequenceNumber, outgoing};
  historySent_[index] = false;
}

MungedRtp RtpMunger::send(SourceSlot& slot, uint16_t sequenceNumber, uint32_t timestamp, uint32_t payloadBytes) {
  const MungedRtp out{slot.outgoing, timestamp + timestampOffset_};
  slot.state = SlotState::Sent;
  const size_t index = slot.outgoing % kHistorySize;
  history_[index] = HistorySlot{sourceSsrc_, out.timestamp, sequenceNumber, slot.outgoing};
  historySent_[index] = true;
  ++packetsSent_;
  octetsSent_ += payloadBytes;
  return out;
}

}  // namespace convox::sfu

#pragma once

// Per down-track RTP rewriting: whatever happens upstream (simulcast layer
// switches, publisher restarts, mute, reordering, padding we drop), the
// subscriber sees one SSRC whose sequence numbers have no holes we made and
// whose timestamps run on one steady clock. Pure and allocation-free: the
// caller owns the clock (arrival times) and writes the result into the packet
// (rtc::RtpPacketView setters).

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace convox::sfu {

struct MungedRtp {
  uint16_t sequenceNumber = 0;
  uint32_t timestamp = 0;
};

// What an outgoing packet was made from, to answer a NACK from the stored
// upstream packet. timestamp is the outgoing one.
struct MungerHistoryEntry {
  uint32_t ssrc = 0;
  uint16_t sourceSequenceNumber = 0;
  uint32_t timestamp = 0;
};

// Random initial values (RFC 3550 §5.1), drawn once per down-track.
uint16_t randomSequenceNumber();
uint32_t randomTimestamp();

class RtpMunger {
 public:
  // Outgoing sequence numbers whose origin history() still knows.
  static constexpr size_t kHistorySize = 1024;
  // How far back (in source sequence numbers) a late packet is still placed
  // at its own outgoing number; older ones are dropped.
  static constexpr size_t kReorderWindow = 512;
  // A forward jump this large within one source is a discontinuity (restart
  // with the same SSRC, or an outage); it is re-based like a new source
  // instead of leaving a hole the subscriber would NACK in vain.
  static constexpr uint16_t kMaxForwardJump = 1000;

  explicit RtpMunger(uint32_t clockRateHz, uint16_t initialSequenceNumber = randomSequenceNumber(),
                     uint32_t initialTimestamp = randomTimestamp());

  // A packet of source `ssrc` to forward; nullopt = do not forward (duplicate,
  // older than the reorder window, or a straggler of a previous source). A new
  // ssrc re-bases sequence and timestamp so the output continues from the last
  // packet sent, the timestamp advanced by the wall-clock time since then
  // (at least one tick). payloadBytes only feeds octetsSent().
  std::optional<MungedRtp> forward(uint32_t ssrc, uint16_t sequenceNumber, uint32_t timestamp, int64_t arrivalMicros,
                                   uint32_t payloadBytes = 0);

  // The next forwarded packet starts a new segment even if its SSRC is the
  // current one: after a pause (subscription disabled, layer switched away
  // and back) the packets in between were never meant for this subscriber,
  // so they must not show up as a hole.
  void rebaseAtNextPacket() { rebasePending_ = true; }

  // A packet of the current source deliberately not forwarded (padding-only,
  // filtered temporal layer): it takes no outgoing number, so the subscriber
  // sees no loss. A skip that arrives after later packets were already sent
  // cannot close its hole any more (their numbers are on the wire).
  void skip(uint32_t ssrc, uint16_t sequenceNumber);

  // What an outgoing sequence number was made from; nullopt when it is out of
  // the last kHistorySize outgoing numbers or was never sent (upstream loss).
  std::optional<MungerHistoryEntry> history(uint16_t outgoingSequenceNumber) const;

  bool started() const { return started_; }
  uint32_t currentSsrc() const { return sourceSsrc_; }
  uint16_t lastSequenceNumber() const { return static_cast<uint16_t>(nextOutgoing_ - 1); }
  uint32_t lastTimestamp() const { return lastTimestamp_; }         // of the newest packet sent
  int64_t lastArrivalMicros() const { return lastArrivalMicros_; }  // of that packet, for Sender Reports
  // The outgoing RTP timestamp that corresponds to wall-clock time nowMicros,
  // extrapolated from the newest packet sent: the RTP time of a Sender Report.
  uint32_t rtpTimestampAt(int64_t nowMicros) const;
  uint32_t packetsSent() const { return packetsSent_; }
  uint32_t octetsSent() const { return octetsSent_; }

 private:
  enum class SlotState : uint8_t { Reserved, Sent, Skipped };

  // Indexed by extended source sequence number.
  struct SourceSlot {
    uint32_t extendedSequence = 0;  // low 32 bits: tells a stale slot apart
    uint16_t outgoing = 0;
    SlotState state = SlotState::Reserved;
  };

  // Indexed by outgoing sequence number.
  struct HistorySlot {
    uint32_t ssrc = 0;
    uint32_t timestamp = 0;
    uint16_t sourceSequence = 0;
    uint16_t outgoing = 0;
  };

  void rebase(uint32_t ssrc, uint16_t sequenceNumber, uint32_t timestamp, int64_t arrivalMicros);
  // Moves the highest source number up to `extended`, reserving outgoing
  // numbers for the packets in between (lost or still on their way).
  void advanceTo(uint64_t extended, bool reserveLast = true);
  void reserve(uint64_t extended, uint16_t sequenceNumber);
  SourceSlot& sourceSlot(uint64_t extended) { return sourceSlots_[extended % kReorderWindow]; }
  MungedRtp send(SourceSlot& slot, uint16_t sequenceNumber, uint32_t timestamp, uint32_t payloadBytes);

  // Others.
  uint32_t clockRateHz_;
  bool started_ = false;
  bool rebasePending_ = false;
  uint32_t sourceSsrc_ = 0;
  uint64_t highestExtended_ = 0;  // extended source sequence number of the newest packet seen
  uint64_t firstExtended_ = 0;    // of the first packet of the current source
  uint16_t nextOutgoing_;
  uint32_t timestampOffset_ = 0;  // outgoing - source, modulo 2^32
  uint32_t lastTimestamp_;
  int64_t lastArrivalMicros_ = 0;
  uint32_t packetsSent_ = 0;
  uint32_t octetsSent_ = 0;
  std::array<SourceSlot, kReorderWindow> sourceSlots_{};
  std::array<HistorySlot, kHistorySize> history_{};
  std::bitset<kHistorySize> historySent_;
  uint32_t outgoingIssued_ = 0;  // outgoing numbers handed out so far (saturates at kHistorySize)
  uint32_t restartRun_ = 0;      // consecutive too-old packets, each one after the last
  uint16_t restartLast_ = 0;
};

}  // namespace convox::sfu

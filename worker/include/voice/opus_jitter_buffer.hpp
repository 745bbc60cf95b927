#pragma once

// The receive side of the user's microphone: RTP Opus payloads in, in any
// order, 20 ms PCM frames out at the consumer's pace. Reorders, drops
// duplicates and packets that come after their turn, and conceals a lost
// frame with the next packet's in-band FEC when it is there or Opus PLC.
// Bounded: a burst beyond the capacity drops the oldest frames. All storage
// is allocated at creation; push() and pull() allocate nothing.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rtc/opus_codec.hpp"

namespace convox::voice {

struct JitterBufferSettings {
  size_t capacity = 16;  // packets (320 ms of 20 ms frames); a power of two
  size_t prefill = 3;    // frames held before playout starts (60 ms)
  // Quieter than this RMS, a decoded frame held beyond the prefill is
  // dropped (see pull()); 0 keeps every frame.
  double trimBelowRms = 200;
};

enum class JitterFrame {
  Decoded,    // the packet for this frame
  Fec,        // rebuilt from the next packet's in-band FEC (PLC if it has none)
  Concealed,  // Opus PLC for a lost or undecodable packet
  Silence,    // nothing to play: not started, or ran dry (buffering again)
};

struct JitterBufferStats {
  uint64_t received = 0;
  uint64_t duplicates = 0;
  uint64_t late = 0;        // arrived after their frame was played or concealed
  uint64_t overflowed = 0;  // dropped to keep within capacity
  uint64_t concealed = 0;
  uint64_t fec = 0;
  uint64_t decodeErrors = 0;
  uint64_t underruns = 0;
  uint64_t ssrcChanges = 0;
  uint64_t sequenceGaps = 0;  // sequence numbers skipped with no audio missing (the timestamps run on)
  uint64_t trimmed = 0;       // silent frames dropped to bring the delay back to the prefill
};

class OpusJitterBuffer {
 public:
  static std::unique_ptr<OpusJitterBuffer> create(const JitterBufferSettings& settings, std::string& error);

  // One RTP packet's Opus payload (20 ms frames, as browsers send).
  void push(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload);
  // Writes the next 20 ms (960 samples, 48 kHz mono) into `pcm`. While more
  // than `prefill` frames are held (a burst before playout began, a stall),
  // silent frames are skipped: the delay shrinks in pauses, never in speech.
  JitterFrame pull(std::span<int16_t, rtc::kOpusFrameSamples> pcm);

  size_t depth() const { return stored_; }  // packets held
  bool playing() const { return playing_; }
  // RTP timestamp of the frame pull() returned last.
  uint32_t lastTimestamp() const { return lastTimestamp_; }
  const JitterBufferStats& stats() const { return stats_; }

 private:
  struct Slot {
    bool used = false;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    size_t size = 0;
    std::array<uint8_t, rtc::kOpusMaxPacketBytes> payload{};
  };
  OpusJitterBuffer(const JitterBufferSettings& settings, std::unique_ptr<rtc::OpusFrameDecoder> decoder);
  Slot& slotFor(uint16_t sequence) { return slots_[sequence % slots_.size()]; }
  void drop(Slot& slot);
  JitterFrame pullOne(std::span<int16_t, rtc::kOpusFrameSamples> pcm);
  void restart();
  Slot* nextHeldIfDue(uint16_t sequence);

  // Allocated by this.
  std::unique_ptr<rtc::OpusFrameDecoder> decoder_;
  std::vector<Slot> slots_;
  // Others.
  JitterBufferSettings settings_;
  JitterBufferStats stats_;
  bool haveSsrc_ = false;
  uint32_t ssrc_ = 0;
  bool haveNext_ = false;  // nextSequence_ is set (a packet arrived since the last restart)
  uint16_t nextSequence_ = 0;
  bool playing_ = false;
  bool ranDry_ = false;  // playout stopped for want of packets; waiting for prefill
  size_t stored_ = 0;
  uint32_t lastTimestamp_ = 0;
};

}  // namespace convox::voice

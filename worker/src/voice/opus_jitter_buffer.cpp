#include "voice/opus_jitter_buffer.hpp"

#include <algorithm>

namespace convox::voice {
namespace {

// Signed distance from a to b in 16-bit sequence space (RFC 3550 wrap).
int seqDiff(uint16_t a, uint16_t b) { return static_cast<int16_t>(static_cast<uint16_t>(b - a)); }

}  // namespace

std::unique_ptr<OpusJitterBuffer> OpusJitterBuffer::create(const JitterBufferSettings& settings, std::string& error) {
  // A power of two divides 65536, so sequence % capacity stays continuous
  // across the 16-bit wrap and two packets in the window never share a slot.
  const bool powerOfTwo = (settings.capacity & (settings.capacity - 1)) == 0;
  if (settings.capacity < 2 || settings.capacity > 1024 || !powerOfTwo || settings.prefill == 0 ||
      settings.prefill > settings.capacity) {
    error = "jitter buffer: capacity must be a power of two in 2..1024 and prefill 1..capacity";
    return nullptr;
  }
  auto decoder = rtc::OpusFrameDecoder::create(1, error);
  if (!decoder) return nullptr;
  return std::unique_ptr<OpusJitterBuffer>(new OpusJitterBuffer(settings, std::move(decoder)));
}

OpusJitterBuffer::OpusJitterBuffer(const JitterBufferSettings& settings, std::unique_ptr<rtc::OpusFrameDecoder> decoder)
    : decoder_(std::move(decoder)), slots_(settings.capacity), settings_(settings) {}

void OpusJitterBuffer::drop(Slot& slot) {
  if (slot.used) --stored_;
  slot.used = false;
}

void OpusJitterBuffer::restart() {
  for (auto& s : slots_) s.used = false;
  stored_ = 0;
  haveNext_ = false;
  playing_ = false;
  ranDry_ = false;
}

void OpusJitterBuffer::push(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload) {
  if (haveSsrc_ && ssrc != ssrc_) {
    // A new stream (the user republished, a new SSRC after a restart): its
    // sequence numbers mean nothing against the old ones, nor does the
    // decoder's state.
    ++stats_.ssrcChanges;
    restart();
    std::string error;
    if (auto fresh = rtc::OpusFrameDecoder::create(1, error)) decoder_ = std::move(fresh);
  }
  haveSsrc_ = true;
  ssrc_ = ssrc;
  ++stats_.received;
  if (payload.empty() || payload.size() > rtc::kOpusMaxPacketBytes) {
    ++stats_.decodeErrors;
    return;
  }
  if (!haveNext_) {
    haveNext_ = true;
    nextSequence_ = sequence;
  }
  const int ahead = seqDiff(nextSequence_, sequence);
  if (ahead < 0) {
    if (playing_ || ranDry_ || -ahead >= static_cast<int>(slots_.size())) {
      ++stats_.late;
      return;
    }
    // Still filling: an earlier packet overtaken by a later one moves the
    // start back, as far as the buffer reaches.
    for (int s = 0; s < -ahead; ++s) {
      Slot& top = slotFor(static_cast<uint16_t>(nextSequence_ + slots_.size() - 1 - s));
      if (top.used) {
        drop(top);
        ++stats_.overflowed;
      }
    }
    nextSequence_ = sequence;
  } else if (ahead >= static_cast<int>(slots_.size())) {
    // A burst beyond capacity: the oldest frames make room for it.
    const int skip = ahead - static_cast<int>(slots_.size()) + 1;
    for (int s = 0; s < skip; ++s) {
      Slot& old = slotFor(static_cast<uint16_t>(nextSequence_ + s));
      if (old.used) {
        drop(old);
        ++stats_.overflowed;
      }
    }
    nextSequence_ = static_cast<uint16_t>(nextSequence_ + skip);
  }
  Slot& slot = slotFor(sequence);
  if (slot.used && slot.sequence == sequence) {
    ++stats_.duplicates;
    return;
  }
  if (!slot.used) ++stored_;
  slot.used = true;
  slot.sequence = sequence;
  slot.timestamp = timestamp;
  slot.size = payload.size();
  std::copy(payload.begin(), payload.end(), slot.payload.begin());
  if (!playing_ && stored_ >= settings_.prefill) {
    // After running dry, the frames lost in the pause are not worth
    // concealing: play from the first packet held.
    while (!slotFor(nextSequence_).used) nextSequence_ = static_cast<uint16_t>(nextSequence_ + 1);
    playing_ = true;
  }
}

// The first packet held after `sequence`, when it carries the frame due
// now. A sender spends sequence numbers on packets that never reach us
// (libwebrtc's padding for bandwidth probing, dropped by the SFU), so a gap
// in the numbers is lost audio only when the timestamps have one too.
OpusJitterBuffer::Slot* OpusJitterBuffer::nextHeldIfDue(uint16_t sequence) {
  for (size_t ahead = 1; ahead < slots_.size(); ++ahead) {
    const auto seq = static_cast<uint16_t>(sequence + ahead);
    Slot& slot = slotFor(seq);
    if (!slot.used || slot.sequence != seq) continue;
    return slot.timestamp == lastTimestamp_ + rtc::kOpusFrameSamples ? &slot : nullptr;
  }
  return nullptr;
}

namespace {

bool quieterThan(std::span<const int16_t> pcm, double rms) {
  double sum = 0;
  for (const auto s : pcm) sum += static_cast<double>(s) * s;
  return sum < rms * rms * static_cast<double>(pcm.size());
}

}  // namespace

JitterFrame OpusJitterBuffer::pull(std::span<int16_t, rtc::kOpusFrameSamples> pcm) {
  auto kind = pullOne(pcm);
  // Both ends run on their own 20 ms clocks, so a delay once taken on (the
  // first packets arriving before the agent listens, a stall of either
  // side) would stay for the whole call. Decoded silence beyond the prefill
  // is dropped instead: a pause gives the time back, speech is never cut.
  while (kind == JitterFrame::Decoded && stored_ > settings_.prefill && settings_.trimBelowRms > 0 &&
         quieterThan(pcm, settings_.trimBelowRms)) {
    ++stats_.trimmed;
    kind = pullOne(pcm);
  }
  return kind;
}

JitterFrame OpusJitterBuffer::pullOne(std::span<int16_t, rtc::kOpusFrameSamples> pcm) {
  if (!playing_) {
    std::fill(pcm.begin(), pcm.end(), int16_t{0});
    return JitterFrame::Silence;
  }
  if (stored_ == 0) {
    // Ran dry: the user stopped (DTX, mute) or the network stalled. Buffer
    // again rather than inventing audio for an unknown time.
    ++stats_.underruns;
    playing_ = false;
    ranDry_ = true;  // what comes now before nextSequence_ is late
    std::fill(pcm.begin(), pcm.end(), int16_t{0});
    return JitterFrame::Silence;
  }
  Slot* held = &slotFor(nextSequence_);
  uint16_t current = nextSequence_;
  if (!(held->used && held->sequence == current)) {
    if (Slot* due = nextHeldIfDue(current)) {
      ++stats_.sequenceGaps;
      held = due;
      current = due->sequence;
    }
  }
  Slot& slot = *held;
  nextSequence_ = static_cast<uint16_t>(current + 1);
  if (slot.used && slot.sequence == current) {
    lastTimestamp_ = slot.timestamp;
    const int n = decoder_->decode(std::span<const uint8_t>(slot.payload.data(), slot.size), pcm);
    drop(slot);
    if (n == rtc::kOpusFrameSamples) return JitterFrame::Decoded;
    ++stats_.decodeErrors;
  } else {
    lastTimestamp_ += rtc::kOpusFrameSamples;
    // Lost: the next packet may carry this frame's FEC copy.
    const Slot& next = slotFor(nextSequence_);
    if (next.used && next.sequence == nextSequence_) {
      if (decoder_->conceal(pcm, std::span<const uint8_t>(next.payload.data(), next.size)) == rtc::kOpusFrameSamples) {
        ++stats_.fec;
        return JitterFrame::Fec;
      }
    }
  }
  ++stats_.concealed;
  if (decoder_->conceal(pcm) != rtc::kOpusFrameSamples) std::fill(pcm.begin(), pcm.end(), int16_t{0});
  return JitterFrame::Concealed;
}

}  // namespace convox::voice

#include "voice/audio_out_queue.hpp"

#include <algorithm>

namespace convox::voice {

namespace {
constexpr uint64_t kFrame = rtc::kOpusFrameSamples;
}

std::unique_ptr<AudioOutQueue> AudioOutQueue::create(const AudioOutSettings& settings, AudioOutListener& listener,
                                                     std::string& error) {
  if (settings.capacityMs < 20 || settings.capacityMs > 600000) {
    error = "audio out: capacityMs must be 20..600000";
    return nullptr;
  }
  if (settings.opus.channels != 1) {
    error = "audio out: the agent's track is mono";
    return nullptr;
  }
  auto encoder = rtc::OpusFrameEncoder::create(settings.opus, error);
  if (!encoder) return nullptr;
  return std::unique_ptr<AudioOutQueue>(new AudioOutQueue(settings, listener, std::move(encoder)));
}

AudioOutQueue::AudioOutQueue(const AudioOutSettings& settings, AudioOutListener& listener,
                             std::unique_ptr<rtc::OpusFrameEncoder> encoder)
    : listener_(listener), encoder_(std::move(encoder)) {
  // Whole frames, plus one so padding an utterance always fits.
  const size_t frames = static_cast<size_t>(settings.capacityMs + 19) / 20 + 1;
  ring_.resize(frames * kFrame);
}

AudioOutQueue::Utterance* AudioOutQueue::current() {
  if (utteranceCount_ == 0) return nullptr;
  return &utterances_[(firstUtterance_ + utteranceCount_ - 1) % kMaxUtterances];
}

bool AudioOutQueue::openUtterance(uint64_t id) {
  Utterance* cur = current();
  if (cur != nullptr && cur->id == id && cur->end == UINT64_MAX) return true;
  if (cur != nullptr && cur->end == UINT64_MAX) endUtterance(cur->id);  // implied end of the previous one
  if (utteranceCount_ == kMaxUtterances) return false;
  utterances_[(firstUtterance_ + utteranceCount_) % kMaxUtterances] = {id, write_, UINT64_MAX};
  ++utteranceCount_;
  return true;
}

size_t AudioOutQueue::write(std::span<const int16_t> pcm) {
  const uint64_t room = ring_.size() - (write_ - read_);
  const size_t n = static_cast<size_t>(std::min<uint64_t>(room, pcm.size()));
  for (size_t i = 0; i < n;) {
    const size_t at = static_cast<size_t>((write_ + i) % ring_.size());
    const size_t run = std::min(n - i, ring_.size() - at);
    std::copy_n(pcm.begin() + static_cast<long>(i), run, ring_.begin() + static_cast<long>(at));
    i += run;
  }
  write_ += n;
  return n;
}

size_t AudioOutQueue::push(uint64_t id, std::span<const int16_t> pcm) {
  if (!openUtterance(id)) {
    dropped_ += pcm.size();
    return 0;
  }
  // One frame of room stays free for endUtterance's padding.
  const uint64_t room = ring_.size() - kFrame - std::min<uint64_t>(ring_.size() - kFrame, write_ - read_);
  const size_t n = write(pcm.first(static_cast<size_t>(std::min<uint64_t>(room, pcm.size()))));
  dropped_ += pcm.size() - n;
  return n;
}

void AudioOutQueue::endUtterance(uint64_t id) {
  Utterance* cur = current();
  if (cur == nullptr || cur->id != id || cur->end != UINT64_MAX) return;
  // Pad to a whole frame so the next utterance starts on a frame boundary
  // and this one's end is the end of a packet.
  static constexpr std::array<int16_t, rtc::kOpusFrameSamples> kZeros{};
  const size_t pad = static_cast<size_t>((kFrame - (write_ - cur->start) % kFrame) % kFrame);
  write(std::span<const int16_t>(kZeros.data(), pad));
  cur->end = write_;
  finishPlayedUtterances();  // an empty utterance ends at once
}

void AudioOutQueue::finishPlayedUtterances() {
  while (utteranceCount_ > 0) {
    const Utterance& u = utterances_[firstUtterance_];
    if (u.end == UINT64_MAX || u.end > read_) return;
    listener_.onPlayoutEnded(u.id, static_cast<int64_t>(u.end - u.start) / 48, false);
    firstUtterance_ = (firstUtterance_ + 1) % kMaxUtterances;
    --utteranceCount_;
  }
}

AudioOutFrame AudioOutQueue::pull(std::span<uint8_t> packet, int& packetBytes) {
  packetBytes = 0;
  const uint64_t queued = write_ - read_;
  if (queued == 0) return AudioOutFrame::Idle;
  if (paused_) return AudioOutFrame::Paused;
  // Utterances are padded to whole frames, so less than a frame means the
  // utterance is still being synthesised.
  if (queued < kFrame) return AudioOutFrame::Starved;
  for (size_t i = 0; i < kFrame;) {
    const size_t at = static_cast<size_t>((read_ + i) % ring_.size());
    const size_t run = std::min<size_t>(kFrame - i, ring_.size() - at);
    std::copy_n(ring_.begin() + static_cast<long>(at), run, frame_.begin() + static_cast<long>(i));
    i += run;
  }
  read_ += kFrame;
  finishPlayedUtterances();
  const int n = encoder_->encode(frame_, packet);
  if (n < 0) {
    ++encodeErrors_;
    return AudioOutFrame::Error;
  }
  packetBytes = n;
  return AudioOutFrame::Sent;
}

void AudioOutQueue::flush() {
  // Utterances still listed have not been sent to their end (finished ones
  // were reported by pull()): all of them are cut here.
  const uint64_t sentUpTo = read_;
  while (utteranceCount_ > 0) {
    const Utterance& u = utterances_[firstUtterance_];
    const uint64_t played = sentUpTo > u.start ? std::min(sentUpTo, u.end) - u.start : 0;
    listener_.onPlayoutEnded(u.id, static_cast<int64_t>(played) / 48, true);
    firstUtterance_ = (firstUtterance_ + 1) % kMaxUtterances;
    --utteranceCount_;
  }
  read_ = write_;
}

}  // namespace convox::voice

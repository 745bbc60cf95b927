#pragma once

// The agent's outgoing audio: 48 kHz PCM from TTS is queued per utterance
// and leaves as one 20 ms Opus frame per sender tick. pause() holds the
// queue where it is (the user may only have coughed) and resume() goes on
// from that sample; flush() drops it all (a real barge-in). The listener
// hears when an utterance's last frame was sent, or that it was cut.
// The queue is a ring allocated at creation: nothing is allocated per frame.
// Single-threaded: it lives on its job's media thread.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rtc/opus_codec.hpp"

namespace convox::voice {

class AudioOutListener {
 public:
  virtual ~AudioOutListener() = default;
  // `playedMs`: audio of the utterance that was sent. `interrupted`: flushed
  // before its end.
  virtual void onPlayoutEnded(uint64_t utteranceId, int64_t playedMs, bool interrupted) = 0;
};

struct AudioOutSettings {
  int capacityMs = 20000;  // queued audio beyond this is refused
  rtc::OpusEncoderSettings opus{};
};

enum class AudioOutFrame {
  Sent,     // a packet was written
  Idle,     // nothing queued
  Paused,   // audio queued but paused
  Starved,  // the utterance has less than a frame and has not ended: wait for TTS
  Error,    // the encoder failed (counted)
};

class AudioOutQueue {
 public:
  static std::unique_ptr<AudioOutQueue> create(const AudioOutSettings& settings, AudioOutListener& listener,
                                               std::string& error);

  // Appends audio to utterance `id` (a new id starts a new utterance after
  // the previous one). Returns the samples accepted: fewer when full, none
  // when 32 utterances are already queued.
  size_t push(uint64_t id, std::span<const int16_t> pcm);
  // No more audio for the current utterance; it is padded to a whole frame.
  void endUtterance(uint64_t id);

  // One sender tick. With Sent, `packetBytes` holds the Opus packet size.
  AudioOutFrame pull(std::span<uint8_t> packet, int& packetBytes);

  void pause() { paused_ = true; }
  void resume() { paused_ = false; }
  // Drops everything queued; each unfinished utterance ends interrupted.
  void flush();

  bool paused() const { return paused_; }
  int64_t queuedMs() const { return static_cast<int64_t>(write_ - read_) / 48; }
  // The PCM of the last frame sent (for level meters and tests).
  std::span<const int16_t> lastFrame() const { return frame_; }
  uint64_t droppedSamples() const { return dropped_; }
  uint64_t encodeErrors() const { return encodeErrors_; }

 private:
  struct Utterance {
    uint64_t id = 0;
    uint64_t start = 0;         // stream sample where it begins
    uint64_t end = UINT64_MAX;  // one past its last sample, once ended
  };
  static constexpr size_t kMaxUtterances = 32;

  AudioOutQueue(const AudioOutSettings& settings, AudioOutListener& listener,
                std::unique_ptr<rtc::OpusFrameEncoder> encoder);
  Utterance* current();
  bool openUtterance(uint64_t id);
  size_t write(std::span<const int16_t> pcm);
  void finishPlayedUtterances();

  // Passed by argument.
  AudioOutListener& listener_;
  // Allocated by this.
  std::unique_ptr<rtc::OpusFrameEncoder> encoder_;
  std::vector<int16_t> ring_;
  // Others.
  std::array<Utterance, kMaxUtterances> utterances_{};
  size_t firstUtterance_ = 0;  // index of the oldest in utterances_
  size_t utteranceCount_ = 0;
  std::array<int16_t, rtc::kOpusFrameSamples> frame_{};
  uint64_t write_ = 0;  // samples ever queued
  uint64_t read_ = 0;   // samples ever sent or flushed
  bool paused_ = false;
  uint64_t dropped_ = 0;
  uint64_t encodeErrors_ = 0;
};

}  // namespace convox::voice

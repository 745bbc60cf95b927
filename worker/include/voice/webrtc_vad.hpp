#pragma once

// VoiceActivityDetector on webrtc-audio-processing's VoiceDetection (the
// WebRTC GMM VAD behind AudioProcessing), fed 10 ms frames, plus the
// hysteresis of VadSettings.

#include <memory>
#include <string>

#include "voice/voice_activity_detector.hpp"

namespace convox::voice {

class WebRtcVad final : public VoiceActivityDetector {
 public:
  // sampleRate: 8000, 16000, 32000 or 48000.
  static std::unique_ptr<WebRtcVad> create(int sampleRate, const VadSettings& settings, std::string& error);
  ~WebRtcVad() override;

  void process(std::span<const int16_t> pcm, VadListener& listener) override;
  void reset() override;
  bool speaking() const override { return speaking_; }
  int64_t streamMs() const override { return framesSeen_ * 10; }
  int64_t lastVoicedEndMs() const override { return lastVoicedEndMs_; }
  // Raw decisions of the last frames, for tests and tuning.
  uint64_t voicedFrames() const { return voicedFrames_; }

 private:
  struct Impl;
  WebRtcVad(std::unique_ptr<Impl> impl, int sampleRate, const VadSettings& settings);
  void onFrame(bool voiced, double rms, VadListener& listener);

  static constexpr double kVoiceOfPeak = 0.03;  // -30 dB
  static constexpr double kMinVoiceRms = 50.0;  // of int16 samples: below, no voice however quiet the talker

  // Allocated by this.
  std::unique_ptr<Impl> impl_;
  // Others.
  int frameSamples_;
  VadSettings settings_;
  size_t pending_ = 0;  // samples of the current 10 ms frame in impl_'s buffer
  int64_t framesSeen_ = 0;
  uint64_t voicedFrames_ = 0;
  bool speaking_ = false;
  int64_t runStartMs_ = -1;  // first voiced frame of the candidate run
  int voicedInRun_ = 0;      // voiced frames in the candidate run
  int silentRun_ = 0;        // consecutive unvoiced frames
  int64_t lastVoicedEndMs_ = 0;
  double peakRms_ = 0;  // the loudest frame of the run or utterance so far
};

}  // namespace convox::voice

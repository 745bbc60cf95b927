#pragma once

// TextToSpeech on libespeak-ng, resampled from its 22050 Hz to 48 kHz.
// libespeak-ng keeps one global engine (voice, rate, callback), so every
// synthesizer in the process takes one process-wide mutex for the whole of
// a synthesize() call: synthesis is serialised, and the worker should give
// espeak one compute thread's worth of work at a time.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "voice/resampler.hpp"
#include "voice/text_to_speech.hpp"

namespace convox::voice {

struct EspeakSettings {
  std::string voice = "en-us";
  int rate = 175;  // words per minute, espeak's 80..450
  int outputRate = 48000;
};

class EspeakSynthesizer final : public TextToSpeech {
 public:
  static std::unique_ptr<EspeakSynthesizer> create(const EspeakSettings& settings, std::string& error);

  int sampleRate() const override { return settings_.outputRate; }
  TtsStats synthesize(std::string_view text, const AudioSink& sink) override;
  void cancel() override { cancel_.store(true); }

  // Called by espeak's synth callback (a C function) with the chunk.
  bool onEngineAudio(const int16_t* pcm, int samples);
  // ... and with each word event: its 1-based character position and its
  // time in the audio.
  void onEngineWord(int textPosition, int audioMs);

 private:
  EspeakSynthesizer(const EspeakSettings& settings, int engineRate, std::unique_ptr<Resampler> resampler);

  // Allocated by this.
  std::unique_ptr<Resampler> resampler_;
  std::vector<int16_t> out_;
  // Others.
  EspeakSettings settings_;
  int engineRate_;
  std::atomic<bool> cancel_{false};
  // Valid during synthesize() only.
  const AudioSink* sink_ = nullptr;
  TtsStats* stats_ = nullptr;
  int64_t startedNs_ = 0;
  std::string_view text_;
};

}  // namespace convox::voice

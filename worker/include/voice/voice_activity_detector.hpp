#pragma once

// Voice activity detection with hysteresis: a raw per-frame speech/non-speech
// decision becomes speech-start and speech-end events in stream time (ms of
// audio fed since the last reset), which endpointing and barge-in act on.

#include <cstdint>
#include <span>

namespace convox::voice {

class VadListener {
 public:
  virtual ~VadListener() = default;
  // `startMs`: the first voiced frame of the run that qualified.
  virtual void onSpeechStart(int64_t startMs) = 0;
  // `endMs`: the end of the last voiced frame; `detectedMs`: when the silence
  // after it lasted long enough (endMs + silence threshold).
  virtual void onSpeechEnd(int64_t endMs, int64_t detectedMs) = 0;
};

struct VadSettings {
  // Voiced time needed before speech-start. LiveKit's Silero default is 50 ms;
  // the WebRTC VAD holds a decision ~70 ms after the energy stops, so 100 ms
  // keeps a 20 ms click out while leaving time to pause the agent within
  // 200 ms of the user's onset (longer clicks pause it, then it resumes).
  int minSpeechMs = 100;
  // Silence that ends speech: LiveKit's min_silence_duration, 0.55 s (the
  // agent config's vad.silence_threshold_ms overrides it).
  int silenceMs = 550;
  // 0..3, WebRTC's likelihood: higher flags more frames as voice.
  int likelihood = 1;
};

class VoiceActivityDetector {
 public:
  virtual ~VoiceActivityDetector() = default;
  // Feeds mono PCM at the detector's rate; any length, buffered to the
  // detector's frame internally. Events are reported synchronously.
  virtual void process(std::span<const int16_t> pcm, VadListener& listener) = 0;
  virtual void reset() = 0;
  virtual bool speaking() const = 0;
  virtual int64_t streamMs() const = 0;
  // End of the last frame the detector judged voiced (stream ms; 0 before
  // any): barge-in measures how long the user has spoken, and how long
  // they have paused, from it without waiting for the speech-end event.
  virtual int64_t lastVoicedEndMs() const = 0;
};

}  // namespace convox::voice

#pragma once

// What the voice agent speaks through: one speech synthesis service per
// call, asynchronous. The local engines (espeak-ng, behind TextToSpeech) run
// on the compute pool through PoolTtsService; network providers
// (ElevenLabs' multi-stream WebSocket, Deepgram Aura, OpenAI-compatible
// /v1/audio/speech, Sarvam) drive their own I/O on the call's io_context.
// Methods are called on the call's media thread and never block; callbacks
// run on that thread, later.
//
// One sentence per synthesize(), one at a time (the agent waits for onDone
// before the next); sentences of one agent reply share an utterance id, so
// a provider with contexts (ElevenLabs) keeps one context per reply and
// closes it at endUtterance() or cancel(). Audio is delivered at 48 kHz mono
// (a provider's own rate is resampled by its client).

#include "voice/provider_usage.hpp"
#include "voice/text_to_speech.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace convox::voice {

inline constexpr int kTtsSampleRate = 48000;

struct TtsCallbacks {
  // 48 kHz PCM as it arrives. The span is valid during the call only.
  std::function<void(std::span<const int16_t> pcm)> onAudio;
  // Once, after the last onAudio of this sentence: `error` empty on
  // success. `stats.words` (if the provider aligns) are at 48 kHz from the
  // sentence's first sample. Not called after cancel().
  std::function<void(TtsStats stats, const std::string& error)> onDone;
};

class TtsService {
 public:
  virtual ~TtsService() = default;
  virtual const std::string& provider() const = 0;
  virtual void warm() {}
  // Speaks one sentence of utterance `utteranceId`.
  virtual void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) = 0;
  // The reply `utteranceId` has no more sentences.
  virtual void endUtterance(uint64_t utteranceId) { (void)utteranceId; }
  // Stops the sentence in progress (barge-in) and forgets the utterance:
  // no callback of it follows.
  virtual void cancel() = 0;
  virtual void close() {}
};

}  // namespace convox::voice

#pragma once

// Streaming speech recognition: push an utterance's 16 kHz frames as they
// arrive, finish() gives the final transcript. Implementations are
// CPU-heavy and run on the compute pool, never on a media thread.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace convox::voice {

struct SttWord {
  std::string word;
  int64_t startMs = 0;
  int64_t endMs = 0;
};

struct SttResult {
  std::string text{};     // lower-case words separated by spaces; empty if nothing was heard
  double confidence = 0;  // 0..1
  std::vector<SttWord> words{};
  std::string source{};    // which model produced it, e.g. "grammar" or "lm"
  std::string provider{};  // the service that produced it (set by a service; a fallback names the one that answered)
  std::string language{};  // as the provider detected or was told, BCP-47 ("en-US", "hi-IN"); may be empty
  int64_t audioMs = 0;     // audio in the utterance (usage)
  int64_t computeMs = 0;   // time spent recognising (latency)
};

class SpeechToText {
 public:
  virtual ~SpeechToText() = default;
  virtual int sampleRate() const = 0;
  // Appends audio to the current utterance (starting one if none is open).
  // Returns false once the utterance is at its length cap: the rest is ignored.
  virtual bool push(std::span<const int16_t> pcm) = 0;
  // Ends the utterance and returns its transcript.
  virtual SttResult finish() = 0;
  // Drops the current utterance (barge-in cancelled it, the call ended).
  virtual void cancel() = 0;
};

}  // namespace convox::voice

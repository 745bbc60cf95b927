#pragma once

// Streaming speech synthesis: synthesize() delivers PCM chunks as the engine
// produces them, so the first audio can be sent before the sentence is done.
// Runs on the compute pool; cancel() may come from any thread (barge-in).

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace convox::voice {

// Where a word of the text starts in the audio: barge-in stores the words
// that were played, not the whole sentence.
struct TtsWord {
  size_t textOffset = 0;  // byte offset of the word in the text
  int64_t sample = 0;     // its first sample, at sampleRate(), from the start of this call's audio
};

struct TtsStats {
  size_t characters = 0;      // usage
  int64_t firstAudioMs = -1;  // from the call to the first chunk; -1 if none
  int64_t totalMs = 0;        // wall time of the call
  int64_t audioSamples = 0;   // delivered, at sampleRate()
  bool cancelled = false;
  std::vector<TtsWord> words;  // in order; empty if the engine reports none
  std::string provider;        // the service that spoke it (a fallback names the one that did)
};

class TextToSpeech {
 public:
  using AudioSink = std::function<void(std::span<const int16_t>)>;
  virtual ~TextToSpeech() = default;
  virtual int sampleRate() const = 0;  // of the delivered chunks
  // Blocks the calling (pool) thread until the text is spoken or cancelled.
  virtual TtsStats synthesize(std::string_view text, const AudioSink& sink) = 0;
  // Stops the synthesis in progress as soon as the engine yields; a cancel
  // with none in progress is forgotten (the caller drops stale results).
  virtual void cancel() = 0;
};

}  // namespace convox::voice

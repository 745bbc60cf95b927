#pragma once

// What the voice agent hears through: one speech recognition service per
// call, asynchronous. The local engines (PocketSphinx, behind SpeechToText)
// run on the compute pool through PoolSttService; network providers
// (Deepgram's WebSocket, OpenAI-compatible transcriptions, Sarvam) drive
// their own I/O on the call's io_context. Either way every method is called
// on the call's media thread, never blocks, and every callback runs on that
// thread later (never inside the call that caused it).
//
// Audio is 16 kHz mono s16le, only the audio of an utterance (from the
// VAD's speech start with its pre-roll, to its end): the local VAD decides
// the turns; a streaming provider's own endpointing only refines the text.

#include "voice/provider_usage.hpp"
#include "voice/speech_to_text.hpp"

#include <functional>
#include <span>
#include <string>

namespace convox::voice {

inline constexpr int kSttSampleRate = 16000;

struct SttCallbacks {
  // A provisional transcript of the utterance so far (may be unset; never
  // after the final). Barge-in with min_interruption_words may act on it.
  std::function<void(const SttResult& interim)> onInterim;
  // Once per finish(): the final transcript, or `error` non-empty (the
  // provider failed or timed out; `result` may still hold what was heard).
  std::function<void(SttResult result, const std::string& error)> onFinal;
};

class SttService {
 public:
  virtual ~SttService() = default;
  // Who answers (for turns, logs and usage): "deepgram", "pocketsphinx", ...
  virtual const std::string& provider() const = 0;
  // Opens what can be opened before the first utterance (a WebSocket, a
  // TLS connection), so the first turn does not pay for it. Optional.
  virtual void warm() {}
  // Appends audio to the current utterance, starting one if none is open.
  virtual void push(std::span<const int16_t> pcm) = 0;
  // Ends the utterance; `callbacks.onFinal` follows once.
  virtual void finish(SttCallbacks callbacks) = 0;
  // Interim results of the open utterance go here (may be replaced).
  virtual void setInterimHandler(std::function<void(const SttResult&)> handler) { (void)handler; }
  // Drops the current utterance; a pending onFinal of it never runs.
  virtual void cancel() = 0;
  // The call is over: close connections, report the last usage.
  virtual void close() {}
};

}  // namespace convox::voice

#pragma once

// TtsService over Deepgram Aura's streaming WebSocket ({baseUrl}/speak).
// One socket per call (warm() opens it; reopened by the next sentence once
// it ended). Each sentence is a Speak then a Flush; its audio (binary
// linear16 at 48 kHz, asked for so nothing is resampled) ends with the
// Flushed answer. cancel() sends Clear and drops audio until Cleared.
// Utterances need no context here: endUtterance() does nothing. Usage: the
// characters of each sentence, unit `characters`, model = the voice model.

#include "voice/provider_usage.hpp"
#include "voice/tts_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace convox::voice {

struct DeepgramTtsSettings {
  std::string baseUrl = "wss://api.deepgram.com/v1";  // without /speak
  std::string apiKey;                                 // "Authorization: Token KEY"
  std::string model = "aura-2-thalia-en";
  std::string caFile;
  bool publicAddressesOnly = false;  // see OpenAiChatSettings
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds sentenceTimeout{10000};  // without audio or Flushed for the sentence
};

class DeepgramTtsService final : public TtsService {
 public:
  DeepgramTtsService(boost::asio::io_context& io, DeepgramTtsSettings settings, UsageSink usage);
  ~DeepgramTtsService() override;
  DeepgramTtsService(const DeepgramTtsService&) = delete;
  DeepgramTtsService& operator=(const DeepgramTtsService&) = delete;

  const std::string& provider() const override;
  void warm() override;
  void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) override;
  void cancel() override;
  void close() override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace convox::voice

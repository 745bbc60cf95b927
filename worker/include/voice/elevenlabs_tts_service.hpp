#pragma once

// TtsService over ElevenLabs' multi-stream-input WebSocket
// ({baseUrl}/v1/text-to-speech/{voice_id}/multi-stream-input). One socket
// per call (warm() opens it; reopened at the next sentence once the server
// closed it), one context per agent reply (utterance id): the reply's first
// sentence initialises the context with the voice settings, every sentence
// goes out flushed, endUtterance() and cancel() close the context. Audio
// (base64 PCM at sampleRate) is resampled to 48 kHz.
//
// When a sentence is done: ElevenLabs marks no end of a flush, so a sentence
// is done when the `alignment` of its context has covered every
// non-whitespace character of the sentence (counted in code points, so it
// does not matter whether the server aligns the trailing space), or the
// context reports isFinal; a sentence with no progress for sentenceTimeout
// fails. Usage: the characters of each sentence as sent (its trailing space
// included, the context's " " initialiser not), unit `characters`.

#include "voice/provider_usage.hpp"
#include "voice/tts_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace convox::voice {

struct ElevenLabsTtsSettings {
  std::string baseUrl = "wss://api.elevenlabs.io";  // without /v1/...
  std::string apiKey;                               // sent as the xi-api-key header
  std::string voiceId;
  std::string modelId = "eleven_flash_v2_5";
  int sampleRate = 24000;  // output_format pcm_24000 or pcm_16000
  double stability = 0.5;
  double similarityBoost = 0.75;
  double style = 0;
  bool useSpeakerBoost = true;
  double speed = 1.0;
  int inactivityTimeoutSeconds = 180;  // the server closes an idle socket after it (max 180)
  std::string caFile;
  bool publicAddressesOnly = false;  // see OpenAiChatSettings
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds sentenceTimeout{10000};  // without audio or alignment for the sentence
};

class ElevenLabsTtsService final : public TtsService {
 public:
  ElevenLabsTtsService(boost::asio::io_context& io, ElevenLabsTtsSettings settings, UsageSink usage);
  ~ElevenLabsTtsService() override;
  ElevenLabsTtsService(const ElevenLabsTtsService&) = delete;
  ElevenLabsTtsService& operator=(const ElevenLabsTtsService&) = delete;

  const std::string& provider() const override;
  void warm() override;
  void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) override;
  void endUtterance(uint64_t utteranceId) override;
  void cancel() override;
  void close() override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace convox::voice

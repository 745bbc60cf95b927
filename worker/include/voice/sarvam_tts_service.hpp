#pragma once

// TtsService over Sarvam AI's bulbul text to speech (PROTOCOL-providers.md
// §7), header `api-subscription-key`. Two transports, one settings struct:
//
// SarvamTtsService, the streaming socket
// ({baseUrl}/text-to-speech/ws?model=&send_completion_event=true): one
// socket per call, opened at warm() and reopened by the next sentence once
// it ended; its first message is the config (language, speaker, pace,
// model, rate, output_audio_codec linear16: raw s16le, resampled to 48 kHz).
// Each sentence is a text then a flush; its audio (base64 in JSON; a chunk
// that starts with a WAV header has it skipped) ends with the `final`
// event. Sarvam has no clear: cancel() drops the socket, so nothing of the
// cancelled sentence can arrive after it, and opens a fresh one for the
// next reply. An in-band error, a malformed message and a sentence timeout
// fail the sentence and drop the socket too (what it sends later could not
// be told from the next sentence's audio). While idle it sends
// {"type":"ping"} every keepAliveInterval (Sarvam closes a socket idle for
// 60 s).
//
// SarvamRestTtsService: one POST {baseUrl}/text-to-speech per sentence,
// answered {"request_id", "audios": ["<base64 WAV>"]}; each WAV must be
// 16-bit mono PCM, its rate read from its header.
//
// Usage for both: the characters of each sentence (code points), unit
// `characters`, model = the model name; the socket counts a sentence when
// it is sent, REST when the server accepted it (2xx).

#include "voice/provider_usage.hpp"
#include "voice/tts_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

class Resampler;

struct SarvamTtsSettings {
  std::string baseUrl = "wss://api.sarvam.ai";  // the socket's (wss://); REST's is https://
  std::string apiKey;
  std::string model = "bulbul:v3";  // LiveKit's default; bulbul:v2 also served
  std::string speaker;              // "" = the model's default: shubh (v3), anushka (v2)
  std::string language = "hi-IN";   // target_language_code (sarvam_languages.hpp)
  double pace = 1.0;                // clamped to the model's range: v3 0.5..2, v2 0.3..3
  // The socket serves 8000, 16000, 22050, 24000; REST also 32000, 44100, 48000 (v3).
  int sampleRate = 24000;
  std::string caFile;
  bool publicAddressesOnly = false;                    // see OpenAiChatSettings
  std::chrono::milliseconds connectTimeout{5000};      // socket upgrade / REST response header
  std::chrono::milliseconds sentenceTimeout{10000};    // socket: no audio or final; REST: no body byte
  std::chrono::milliseconds keepAliveInterval{30000};  // socket: a ping when nothing was sent for this long
};

// The speaker and pace the settings end up with (defaults, clamping).
std::string sarvamSpeaker(const SarvamTtsSettings& settings);
double sarvamPace(const SarvamTtsSettings& settings);

class SarvamTtsService final : public TtsService {
 public:
  SarvamTtsService(boost::asio::io_context& io, SarvamTtsSettings settings, UsageSink usage);
  ~SarvamTtsService() override;
  SarvamTtsService(const SarvamTtsService&) = delete;
  SarvamTtsService& operator=(const SarvamTtsService&) = delete;

  const std::string& provider() const override;
  void warm() override;
  void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) override;
  void cancel() override;
  void close() override;

  std::string socketUrl() const;      // holds no key
  std::string configMessage() const;  // the socket's first message

 private:
  struct State;
  std::shared_ptr<State> state_;
};

class SarvamRestTtsService final : public TtsService {
 public:
  // `settings.baseUrl` is the https:// one.
  SarvamRestTtsService(boost::asio::io_context& io, SarvamTtsSettings settings, UsageSink usage);
  ~SarvamRestTtsService() override;
  SarvamRestTtsService(const SarvamRestTtsService&) = delete;
  SarvamRestTtsService& operator=(const SarvamRestTtsService&) = delete;

  const std::string& provider() const override;
  void warm() override;
  void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) override;
  void cancel() override;
  void close() override { cancel(); }

  std::string requestBody(const std::string& text) const;  // holds no key
  std::string requestUrl() const;

 private:
  struct Sentence;
  void answered(Sentence& s);
  void finished(Sentence& s, const std::string& error);
  bool deliver(Sentence& s, std::string_view wav, std::string& error);

  // Passed by argument.
  boost::asio::io_context& io_;
  SarvamTtsSettings settings_;
  UsageSink usage_;
  // Allocated by this.
  std::unique_ptr<Resampler> resampler_;  // for the rate of the last WAV; recreated when it changes
  std::vector<uint8_t> decoded_;          // reused per sentence
  std::vector<int16_t> samples_;
  std::vector<int16_t> resampled_;
  std::shared_ptr<Sentence> current_;
  std::string configError_;
};

}  // namespace convox::voice

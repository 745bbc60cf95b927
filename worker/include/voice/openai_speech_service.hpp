#pragma once

// TtsService over an OpenAI-compatible speech endpoint (OpenAI, Kokoro-
// FastAPI, openedai-speech): one POST {baseUrl}/audio/speech per sentence,
// JSON {model, input, voice, response_format: "pcm", speed} (+ instructions
// when set). The chunked body is raw s16le mono at `sampleRate` (24000 for
// OpenAI and Kokoro, 22050 for openedai-speech's tts-1); it is resampled to
// 48 kHz as it arrives and handed to onAudio chunk by chunk, so the first
// audio plays before the sentence is synthesized. A sample split across two
// chunks is kept for the next. cancel() aborts the request at once.
//
// Usage: the characters of `input` (unit characters), once the server has
// accepted the sentence (a 2xx status: billed even if cut short). All I/O on
// the io_context given (the call's media thread).

#include "voice/tts_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace convox::voice {

class Resampler;

struct OpenAiSpeechSettings {
  std::string baseUrl = "https://api.openai.com/v1";
  std::string apiKey;                               // "" = no Authorization header (local servers)
  std::string provider = "openai";                  // for usage, errors and turns
  std::string model = "tts-1";                      // Kokoro: "kokoro"
  std::string voice = "alloy";                      // Kokoro: "af_heart"
  double speed = 1.0;                               // 0.25 .. 4
  std::string instructions;                         // gpt-4o-mini-tts only; "" = not sent
  int sampleRate = 24000;                           // of the pcm the server sends
  std::string caFile;                               // PEM CAs to trust besides the system's
  std::chrono::milliseconds connectTimeout{10000};  // until the response header
  std::chrono::milliseconds idleTimeout{10000};     // between audio chunks
  bool publicAddressesOnly = false;                 // as OpenAiChatSettings
};

class OpenAiSpeechService final : public TtsService {
 public:
  // Check error() after construction: soxr may refuse the rate.
  OpenAiSpeechService(boost::asio::io_context& io, OpenAiSpeechSettings settings, UsageSink usage);
  ~OpenAiSpeechService() override;
  OpenAiSpeechService(const OpenAiSpeechService&) = delete;
  OpenAiSpeechService& operator=(const OpenAiSpeechService&) = delete;

  const std::string& error() const { return error_; }
  const std::string& provider() const override { return settings_.provider; }
  void warm() override;
  void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) override;
  void cancel() override;
  void close() override { cancel(); }

  // The JSON body synthesize() sends for `text` (it holds no key).
  std::string requestBody(const std::string& text) const;

 private:
  struct Sentence;
  void audio(Sentence& s, std::string_view bytes);
  void finished(Sentence& s, const std::string& error);

  // Passed by argument.
  boost::asio::io_context& io_;
  OpenAiSpeechSettings settings_;
  UsageSink usage_;
  // Allocated by this.
  std::unique_ptr<Resampler> resampler_;  // once per service; reset per sentence
  std::vector<int16_t> out_;
  std::shared_ptr<Sentence> current_;
  std::string error_;
};

}  // namespace convox::voice

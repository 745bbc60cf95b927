#pragma once

// SttService over an OpenAI-compatible transcription endpoint (OpenAI, Groq,
// speaches, whisper.cpp's server): batch per utterance. push() buffers the
// utterance's 16 kHz audio; finish() POSTs it as a multipart WAV `file`
// with `model`, `language` (ISO-639-1 from the BCP-47 language), `prompt`
// (the agent's keywords, a spelling hint) and `response_format`, and the
// answer is the final transcript.
//
// Variants, by settings:
// - whisper.cpp's server: path "/inference", no model. It answers some
//   errors (no file, unreadable audio) with HTTP 200 and {"error": "..."}:
//   any JSON answer with an "error" member is an error, whatever the status.
// - verbose_json: the language the server detected and a confidence from
//   the segments' avg_logprob (exp of their duration-weighted mean).
//   Without it the confidence is 1 (the server gives none; a low one would
//   make the agent ask the caller to repeat).
// - stream (speaches, OpenAI's gpt-4o models): `stream=true`, Server-Sent
//   Events; each `transcript.text.delta` is an interim transcript,
//   `transcript.text.done` is the final (there is no [DONE]). speaches may
//   send an empty done text: then the deltas joined are the final.
// Groq's extra `x_groq` member is ignored.
// - dialect kSarvam (Sarvam's POST /speech-to-text): the key as
//   `api-subscription-key`; form `file`, `model`, `language_code` (Sarvam's
//   code, "unknown" to detect) and `mode` (saaras:v3 only); no prompt, no
//   response_format, no stream. The answer {"transcript", "language_code"}
//   names the language heard; errors {"error": {"message", "code"}} are
//   reported with their code.
//
// Usage: the seconds of audio sent (unit audio_seconds), once per request
// that returned a transcript. All I/O on the io_context given (the call's
// media thread).

#include "voice/stt_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace convox::voice {

// Whose wire format the endpoint speaks.
enum class TranscriptionDialect { kOpenAi, kSarvam };

struct OpenAiTranscriptionSettings {
  TranscriptionDialect dialect = TranscriptionDialect::kOpenAi;
  std::string baseUrl = "https://api.openai.com/v1";
  std::string path = "/audio/transcriptions";  // whisper.cpp's server: "/inference"
  std::string apiKey;                          // "" = no Authorization header (local servers)
  std::string provider = "openai";             // for usage, errors and turns
  std::string model = "whisper-1";             // "" = not sent (whisper.cpp ignores it)
  std::string language;                        // BCP-47 ("en-US"); "" = the server detects it (Sarvam: its code)
  std::string mode;                            // Sarvam saaras:v3: transcribe|translate|...; "" = not sent
  std::vector<std::string> keywords;           // sent joined as `prompt`; none = no prompt
  bool verboseJson = false;
  bool stream = false;
  std::string caFile;  // PEM CAs to trust besides the system's
  std::chrono::milliseconds connectTimeout{10000};
  std::chrono::milliseconds idleTimeout{15000};               // a long utterance takes a while to transcribe
  size_t maxUtteranceSamples = size_t{kSttSampleRate} * 120;  // beyond it the audio is ignored
  bool publicAddressesOnly = false;                           // as OpenAiChatSettings
};

// "en-US" -> "en"; "" for a language without a two-letter code.
std::string iso639_1(const std::string& bcp47);

class OpenAiTranscriptionService final : public SttService {
 public:
  OpenAiTranscriptionService(boost::asio::io_context& io, OpenAiTranscriptionSettings settings, UsageSink usage);
  ~OpenAiTranscriptionService() override;
  OpenAiTranscriptionService(const OpenAiTranscriptionService&) = delete;
  OpenAiTranscriptionService& operator=(const OpenAiTranscriptionService&) = delete;

  const std::string& provider() const override { return settings_.provider; }
  void warm() override;
  void push(std::span<const int16_t> pcm) override;
  void finish(SttCallbacks callbacks) override;
  void setInterimHandler(std::function<void(const SttResult&)> handler) override { interim_ = std::move(handler); }
  void cancel() override;
  void close() override { cancel(); }

 private:
  struct Request;

  // Passed by argument.
  boost::asio::io_context& io_;
  OpenAiTranscriptionSettings settings_;
  UsageSink usage_;
  // Allocated by this.
  std::vector<int16_t> utterance_;  // reused: cleared, not freed, between utterances
  std::function<void(const SttResult&)> interim_;
  std::vector<std::shared_ptr<Request>> inFlight_;  // an utterance may finish before the last one's answer
};

}  // namespace convox::voice

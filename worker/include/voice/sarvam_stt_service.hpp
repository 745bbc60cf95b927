#pragma once

// SttService over Sarvam's streaming recognition WebSocket
// ({baseUrl}/speech-to-text/ws, header api-subscription-key). One socket per
// call, opened at warm() or the first push and kept across utterances; audio
// goes out as JSON text frames {"audio":{"data":"<base64 s16le>",...}} of
// frameSamples, and finish() sends {"type":"flush"} (the socket is opened
// with flush_signal=true).
//
// Sarvam's messages carry no utterance marker: every `data` message is a
// final segment; those that arrive while an utterance is being pushed are
// joined (and given as interims), and its flush's answer completes it. With
// vadSignals, a data message after an END_SPEECH event is a segment
// Sarvam's VAD ended, joined without completing the utterance, and the
// answer is the first without one; without it, the first data message after
// the flush is taken as the answer. A flush that gets no answer within
// finalizeTimeout (Sarvam may have transcribed all the audio already)
// completes the utterance with what arrived, without an error; the socket
// is kept. An `error` message fails the utterance (and drops the socket:
// the next push opens another); the events do not decide turns, the local
// VAD does.
// A socket that drops between utterances is reopened at the next push; one
// that drops during an utterance fails it.
//
// Keep-alive: WebSocket pings when Sarvam is silent for half of idleTimeout
// (no silent audio is sent: Sarvam bills audio). Usage: Sarvam bills the
// audio it transcribed, so each data message's metrics.audio_duration is
// summed and reported (unit audio_seconds) with the utterance's final.

#include "voice/provider_usage.hpp"
#include "voice/stt_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace convox::voice {

struct SarvamSttSettings {
  std::string baseUrl = "wss://api.sarvam.ai";  // without /speech-to-text/ws
  std::string apiKey;                           // sent as "api-subscription-key: KEY"
  std::string model = "saaras:v3";
  std::string language = "unknown";  // Sarvam's code (hi-IN, en-IN, ...); "unknown": Sarvam detects it
  std::string mode = "transcribe";   // saaras:v3 only: transcribe|translate|verbatim|translit|codemix
  std::optional<bool> vadSignals;    // unset = not sent
  std::optional<bool> highVadSensitivity;
  std::string caFile;
  bool publicAddressesOnly = false;  // see OpenAiChatSettings
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds finalizeTimeout{2000};  // flush -> its data message
  std::chrono::milliseconds idleTimeout{30000};     // pings after half of it without a frame from Sarvam
  size_t frameSamples = 1600;                       // 100 ms at 16 kHz per audio message
};

class SarvamSttService final : public SttService {
 public:
  SarvamSttService(boost::asio::io_context& io, SarvamSttSettings settings, UsageSink usage);
  ~SarvamSttService() override;
  SarvamSttService(const SarvamSttService&) = delete;
  SarvamSttService& operator=(const SarvamSttService&) = delete;

  const std::string& provider() const override;
  void warm() override;
  void push(std::span<const int16_t> pcm) override;
  void finish(SttCallbacks callbacks) override;
  void setInterimHandler(std::function<void(const SttResult&)> handler) override;
  void cancel() override;
  void close() override;

  // The URL (query included) a connection uses; it holds no key.
  std::string streamUrl() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the socket's handlers
};

}  // namespace convox::voice

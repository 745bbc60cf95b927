#pragma once

// SttService over Deepgram's streaming recognition WebSocket
// ({baseUrl}/listen). One socket per call, opened at warm() or the first
// push and kept across utterances; audio goes out as ~50 ms binary frames,
// a KeepAlive text frame when no audio went for keepAliveInterval, and at
// finish() a Finalize: the final is the utterance's is_final segments joined,
// complete with the Results marked from_finalize. A socket that drops
// between utterances is reopened at the next push; one that drops during an
// utterance fails it. Usage: Deepgram bills the socket's lifetime, so each
// connection reports audio_seconds from open to end.

#include "voice/provider_usage.hpp"
#include "voice/stt_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convox::voice {

struct DeepgramSttSettings {
  std::string baseUrl = "wss://api.deepgram.com/v1";  // without /listen
  std::string apiKey;                                 // sent as "Authorization: Token KEY"
  std::string model = "nova-3";
  std::string language = "en-US";  // "" = not sent
  bool punctuate = true;
  bool smartFormat = false;
  std::optional<int> endpointingMs;  // unset = Deepgram's default
  bool vadEvents = false;
  std::optional<int> utteranceEndMs;  // needs interim results (always on)
  // The agent's keywords: Nova-3 takes them as repeated `keyterm`, older
  // models as `keywords=word:boost`.
  std::vector<std::string> keywords;
  double keywordBoost = 2;
  std::string caFile;
  bool publicAddressesOnly = false;  // see OpenAiChatSettings
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds finalizeTimeout{1500};    // Finalize -> from_finalize Results
  std::chrono::milliseconds keepAliveInterval{5000};  // Deepgram closes after 10 s without data
  size_t frameSamples = 800;                          // 50 ms at 16 kHz per binary frame
};

class DeepgramSttService final : public SttService {
 public:
  DeepgramSttService(boost::asio::io_context& io, DeepgramSttSettings settings, UsageSink usage);
  ~DeepgramSttService() override;
  DeepgramSttService(const DeepgramSttService&) = delete;
  DeepgramSttService& operator=(const DeepgramSttService&) = delete;

  const std::string& provider() const override;
  void warm() override;
  void push(std::span<const int16_t> pcm) override;
  void finish(SttCallbacks callbacks) override;
  void setInterimHandler(std::function<void(const SttResult&)> handler) override;
  void cancel() override;
  void close() override;

  // The listen URL (query included) a connection uses; it holds no key.
  std::string listenUrl() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the socket's handlers, which outlive nothing
};

}  // namespace convox::voice

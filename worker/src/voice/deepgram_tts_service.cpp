#include "voice/deepgram_tts_service.hpp"

#include "common/logging.hpp"
#include "voice/pcm16_assembler.hpp"
#include "voice/provider_socket.hpp"
#include "voice/websocket_client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <memory>

namespace convox::voice {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kProvider = "deepgram";

struct Sentence {
  TtsCallbacks callbacks;
  Clock::time_point started = Clock::now();
  Clock::time_point deadline;
  TtsStats stats;
};

}  // namespace

struct DeepgramTtsService::State : std::enable_shared_from_this<State> {
  State(boost::asio::io_context& io, DeepgramTtsSettings s, UsageSink u)
      : io(io), settings(std::move(s)), usage(std::move(u)), timer(io) {}

  // Passed by argument.
  boost::asio::io_context& io;
  DeepgramTtsSettings settings;
  UsageSink usage;
  // Allocated by this.
  std::shared_ptr<WebSocketClient> ws;
  uint64_t generation = 0;
  boost::asio::steady_timer timer;
  // Shared so that onAudio, which may cancel the sentence, runs on a
  // reference to it rather than a copy of its callback.
  std::shared_ptr<Sentence> sentence;
  // Until its Cleared, what arrives is a cancelled sentence's: the server
  // answers in order, so that sentence's audio and Flushed come before it.
  int clearsPending = 0;
  Pcm16Assembler pcm;  // a frame may end inside a sample

  std::string url() const {
    return settings.baseUrl + "/speak?model=" + urlEncode(settings.model) + "&encoding=linear16&sample_rate=48000";
  }

  void connect() {
    WebSocketRequest request;
    request.url = url();
    request.headers = {{"Authorization", "Token " + settings.apiKey}};
    request.connectTimeout = settings.connectTimeout;
    request.caFile = settings.caFile;
    if (settings.publicAddressesOnly) request.refuse = publicAddressesOnly("an agent's tts base_url");
    const uint64_t gen = ++generation;
    clearsPending = 0;
    pcm.reset();
    auto handlers = currentSocketHandlers(shared_from_this(), gen);
    ws = connectWebSocket(io, std::move(request), std::move(handlers));
  }

  void synthesize(const std::string& text, TtsCallbacks callbacks) {
    if (!ws) connect();
    // Each sentence's audio starts on a sample: a byte left by a cut or odd
    // sentence before must not shift it.
    pcm.reset();
    ws->sendText(json::serialize(json::object{{"type", "Speak"}, {"text", text}}));
    ws->sendText(R"({"type":"Flush"})");
    if (usage) usage({"tts", kProvider, settings.model, "characters", static_cast<double>(codePoints(text))});
    Sentence s;
    s.callbacks = std::move(callbacks);
    s.stats.characters = codePoints(text);
    s.deadline = Clock::now() + settings.sentenceTimeout;
    sentence = std::make_shared<Sentence>(std::move(s));
    armTimer();
  }

  void armTimer() {
    timer.expires_at(sentence->deadline);
    timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || !self->sentence) return;
      if (Clock::now() < self->sentence->deadline) return self->armTimer();
      self->finish("deepgram tts: no audio for " + std::to_string(self->settings.sentenceTimeout.count()) + " ms");
    });
  }

  void onAudio(std::string_view bytes) {
    if (clearsPending > 0 || !sentence || bytes.empty()) return;
    const auto samples = pcm.push(bytes);
    const auto keep = sentence;
    auto& s = *keep;
    s.deadline = Clock::now() + settings.sentenceTimeout;
    if (s.stats.firstAudioMs < 0) {
      s.stats.firstAudioMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
    }
    s.stats.audioSamples += static_cast<int64_t>(samples.size());
    if (s.callbacks.onAudio && !samples.empty()) s.callbacks.onAudio(samples);
  }

  void onText(std::string_view data) {
    boost::system::error_code ec;
    const auto v = json::parse(data, ec);
    const auto* type = !ec && v.is_object() ? v.get_object().if_contains("type") : nullptr;
    if (!type || !type->is_string()) {
      common::logger("worker")->warn("deepgram tts: ignored a malformed message ({} bytes)", data.size());
      return;
    }
    const auto& o = v.get_object();
    const std::string_view t = type->get_string();
    if (t == "Cleared") {
      if (clearsPending > 0) --clearsPending;
    } else if (t == "Flushed") {
      if (clearsPending == 0) finish("");
    } else if (t == "Warning") {
      const auto* d = o.if_contains("description");
      common::logger("worker")->warn("deepgram tts: warning: {}",
                                     d && d->is_string() ? std::string_view(d->get_string()) : data);
    } else if (t == "Error" || t == "error") {
      const auto* d = o.if_contains("description");
      finish(redactSecret("deepgram tts: " + (d && d->is_string() ? std::string(d->get_string()) : std::string(data)),
                          settings.apiKey));
    }
  }

  void finish(const std::string& error) {
    if (!sentence) return;
    auto s = std::move(*sentence);
    sentence.reset();
    timer.cancel();
    s.stats.totalMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
    if (s.callbacks.onDone) s.callbacks.onDone(std::move(s.stats), error);
  }

  void onEnd(const WebSocketEnd& end) {
    ws.reset();
    const auto reason = redactSecret(socketEndReason(end, "dg-error"), settings.apiKey);
    if (sentence) {
      return finish(end.opened ? "deepgram tts: connection closed: " + reason
                               : "deepgram tts: cannot connect: " + reason);
    }
    if (!end.error.empty() || end.httpStatus != 0)
      common::logger("worker")->info("deepgram tts: socket ended: {}", reason);
  }

  void cancel() {
    timer.cancel();
    pcm.reset();
    if (!sentence) return;
    sentence.reset();
    if (!ws) return;
    // Clear discards what the server still holds of it; Cleared marks the
    // end of what was already on its way.
    ws->sendText(R"({"type":"Clear"})");
    ++clearsPending;
  }

  void close() {
    sentence.reset();
    timer.cancel();
    if (ws) {
      ws->sendText(R"({"type":"Close"})");
      ws->detach();
      ws.reset();
    }
    ++generation;
  }
};

DeepgramTtsService::DeepgramTtsService(boost::asio::io_context& io, DeepgramTtsSettings settings, UsageSink usage)
    : state_(std::make_shared<State>(io, std::move(settings), std::move(usage))) {}

DeepgramTtsService::~DeepgramTtsService() { state_->close(); }

const std::string& DeepgramTtsService::provider() const { return kProvider; }

void DeepgramTtsService::warm() {
  if (!state_->ws) state_->connect();
}

void DeepgramTtsService::synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) {
  (void)utteranceId;
  state_->synthesize(text, std::move(callbacks));
}

void DeepgramTtsService::cancel() { state_->cancel(); }

void DeepgramTtsService::close() { state_->close(); }

}  // namespace convox::voice

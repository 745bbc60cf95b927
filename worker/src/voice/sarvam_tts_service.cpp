#include "voice/sarvam_tts_service.hpp"

#include "common/logging.hpp"
#include "voice/json_fields.hpp"
#include "voice/pcm16_assembler.hpp"
#include "voice/provider_http.hpp"
#include "voice/provider_socket.hpp"
#include "voice/resampler.hpp"
#include "voice/sarvam_error.hpp"
#include "voice/sarvam_tts_fields.hpp"
#include "voice/text_clip.hpp"
#include "voice/wav_header.hpp"
#include "voice/websocket_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <memory>

namespace convox::voice {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kProvider = "sarvam";

struct Sentence {
  TtsCallbacks callbacks;
  Clock::time_point started = Clock::now();
  Clock::time_point deadline;
  TtsStats stats;
};

// A refused upgrade reads like a failed REST call: Sarvam's error object
// in the body ("HTTP 403: Invalid API key", with a 429's retry-after).
std::string endReason(const WebSocketEnd& end) {
  if (end.httpStatus == 0) return socketEndReason(end);
  HttpResponseHead head;
  head.status = end.httpStatus;
  for (const auto& [name, value] : end.httpHeaders) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    head.headers.emplace_back(std::move(lower), value);
  }
  return httpFailure("", head, end.httpBody).substr(2);
}

int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace

struct SarvamTtsService::State : std::enable_shared_from_this<State> {
  State(boost::asio::io_context& io, SarvamTtsSettings s, UsageSink u)
      : io(io), settings(std::move(s)), usage(std::move(u)), timer(io), pingTimer(io) {
    const int r = settings.sampleRate;
    if (r != 8000 && r != 16000 && r != 22050 && r != 24000) {
      configError = "sarvam tts: the socket does not serve " + std::to_string(r) + " Hz (8000, 16000, 22050, 24000)";
    } else if (r != kTtsSampleRate) {
      std::string error;
      resampler = Resampler::create(r, kTtsSampleRate, error);
      if (!resampler) configError = "sarvam tts: " + error;
    }
  }

  // Passed by argument.
  boost::asio::io_context& io;
  SarvamTtsSettings settings;
  UsageSink usage;
  // Allocated by this.
  std::string configError;
  std::unique_ptr<Resampler> resampler;  // one per service, reset between sentences
  std::shared_ptr<WebSocketClient> ws;
  uint64_t generation = 0;
  boost::asio::steady_timer timer;      // the sentence's deadline
  boost::asio::steady_timer pingTimer;  // keep-alive while idle
  Clock::time_point lastSent;
  // Shared so that onAudio, which may cancel the sentence, runs on a
  // reference to it rather than a copy of its callback.
  std::shared_ptr<Sentence> sentence;
  std::vector<uint8_t> decoded;  // reused per audio message
  Pcm16Assembler pcm;
  std::vector<int16_t> resampled;

  std::string url() const {
    return settings.baseUrl + "/text-to-speech/ws?model=" + urlEncode(settings.model) + "&send_completion_event=true";
  }

  std::string config() const {
    return json::serialize(json::object{{"type", "config"}, {"data", sarvamSynthesisFields(settings, "linear16")}});
  }

  void send(std::string_view message) {
    ws->sendText(message);
    lastSent = Clock::now();
  }

  void connect() {
    WebSocketRequest request;
    request.url = url();
    request.headers = {{"api-subscription-key", settings.apiKey}};
    request.connectTimeout = settings.connectTimeout;
    request.caFile = settings.caFile;
    if (settings.publicAddressesOnly) request.refuse = publicAddressesOnly("an agent's tts base_url");
    const uint64_t gen = ++generation;
    auto handlers = currentSocketHandlers(shared_from_this(), gen);
    ws = connectWebSocket(io, std::move(request), std::move(handlers));
    send(config());  // queued until the upgrade: the config is always first
    armPing();
  }

  // Drops the socket without a word: nothing it still carries reaches us.
  void dropSocket() {
    ++generation;
    pingTimer.cancel();
    if (!ws) return;
    ws->detach();
    ws.reset();
  }

  void armPing() {
    if (settings.keepAliveInterval.count() <= 0) return;
    pingTimer.expires_at(lastSent + settings.keepAliveInterval);
    pingTimer.async_wait([weak = weak_from_this(), gen = generation](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->generation != gen || !self->ws) return;
      if (Clock::now() >= self->lastSent + self->settings.keepAliveInterval) {
        if (self->sentence) {
          self->lastSent = Clock::now();  // a sentence in progress keeps the socket busy
        } else {
          self->send(R"({"type":"ping"})");
        }
      }
      self->armPing();
    });
  }

  void synthesize(const std::string& text, TtsCallbacks callbacks) {
    if (!configError.empty()) return postDone(std::move(callbacks), configError);
    cancel();  // one sentence at a time
    if (!ws) connect();
    send(json::serialize(json::object{{"type", "text"}, {"data", json::object{{"text", text}}}}));
    send(R"({"type":"flush"})");
    if (usage) usage({"tts", kProvider, settings.model, "characters", static_cast<double>(codePoints(text))});
    Sentence s;
    s.callbacks = std::move(callbacks);
    s.stats.characters = codePoints(text);
    s.deadline = Clock::now() + settings.sentenceTimeout;
    sentence = std::make_shared<Sentence>(std::move(s));
    pcm.reset();
    if (resampler) resampler->reset();
    armTimer();
  }

  void postDone(TtsCallbacks callbacks, std::string error) {
    boost::asio::post(io, [weak = weak_from_this(), cb = std::move(callbacks), error = std::move(error)] {
      if (weak.lock() && cb.onDone) cb.onDone({}, error);
    });
  }

  void armTimer() {
    timer.expires_at(sentence->deadline);
    timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || !self->sentence) return;
      if (Clock::now() < self->sentence->deadline) return self->armTimer();
      self->fail("sarvam tts: no audio for " + std::to_string(self->settings.sentenceTimeout.count()) + " ms");
    });
  }

  void onText(std::string_view data) {
    boost::system::error_code ec;
    const auto v = json::parse(data, ec);
    const auto* o = !ec ? v.if_object() : nullptr;
    const auto type = o ? stringAt(*o, "type") : std::string_view{};
    if (type.empty()) return fail("sarvam tts: malformed message: " + clipText(data, 120));
    const auto* body = objectAt(*o, "data");
    if (type == "audio") {
      const auto audio = body ? stringAt(*body, "audio") : std::string_view{};
      if (!base64Decode(audio, decoded)) return fail("sarvam tts: audio that is not base64");
      return deliver();
    }
    if (type == "event") {
      if (body && stringAt(*body, "event_type") == "final") done();
      return;
    }
    if (type == "error") {
      const std::string why = "sarvam tts: " + (body ? sarvamErrorText(*body) : clipText(data));
      if (sentence) return fail(why);
      common::logger("worker")->warn("{}", redactSecret(why, settings.apiKey));
      return dropSocket();
    }
    // pong and anything newer: nothing to do
  }

  void deliver() {
    if (!sentence || decoded.empty()) return;
    std::string_view bytes(reinterpret_cast<const char*>(decoded.data()), decoded.size());
    if (looksLikeWav(bytes)) {  // asked for raw PCM; a WAV chunk is read by its header
      std::string error;
      const auto h = parsePcm16MonoWav(bytes, error);
      if (!h) return fail("sarvam tts: " + error);
      if (h->sampleRate != settings.sampleRate) {
        return fail("sarvam tts: audio at " + std::to_string(h->sampleRate) + " Hz, asked for " +
                    std::to_string(settings.sampleRate));
      }
      bytes = bytes.substr(h->dataOffset, h->dataSize);
    }
    auto& s = *sentence;
    s.deadline = Clock::now() + settings.sentenceTimeout;
    auto samples = pcm.push(bytes);
    if (resampler) {
      resampled.resize(std::max(resampled.size(), resampler->maxOutputSamples(samples.size())));
      samples = {resampled.data(), resampler->process(samples, resampled)};
    }
    emit(samples);
  }

  void emit(std::span<const int16_t> samples) {
    if (samples.empty() || !sentence) return;
    const auto keep = sentence;
    auto& s = *keep;
    if (s.stats.firstAudioMs < 0) s.stats.firstAudioMs = msSince(s.started);
    s.stats.audioSamples += static_cast<int64_t>(samples.size());
    if (s.callbacks.onAudio) s.callbacks.onAudio(samples);
  }

  void done() {
    if (!sentence) return;
    if (resampler) {
      resampled.resize(std::max(resampled.size(), resampler->maxOutputSamples(0) + 4096));
      emit({resampled.data(), resampler->flush(resampled)});
      if (!sentence) return;  // cancelled from onAudio
    }
    complete("");
  }

  void fail(const std::string& error) {
    if (!sentence) return;
    dropSocket();  // its later messages could be this sentence's
    complete(redactSecret(error, settings.apiKey));
  }

  void complete(const std::string& error) {
    auto s = std::move(*sentence);
    sentence.reset();
    timer.cancel();
    s.stats.totalMs = msSince(s.started);
    if (s.callbacks.onDone) s.callbacks.onDone(std::move(s.stats), error);
  }

  void onEnd(const WebSocketEnd& end) {
    ws.reset();
    pingTimer.cancel();
    const auto reason = redactSecret(endReason(end), settings.apiKey);
    if (sentence) {
      return fail(end.opened ? "sarvam tts: connection closed: " + reason : "sarvam tts: cannot connect: " + reason);
    }
    // Between sentences: the next one reconnects.
    if (!end.error.empty() || end.httpStatus != 0 || (end.closeCode != 1000 && end.closeCode != 0)) {
      common::logger("worker")->info("sarvam tts: socket ended between sentences: {}", reason);
    }
  }

  void cancel() {
    timer.cancel();
    if (!sentence) return;
    sentence.reset();
    // No clear in Sarvam's protocol: a fresh socket is the only way to be
    // sure none of the cancelled sentence's audio follows, and opening it now
    // keeps the connect out of the next reply's latency.
    dropSocket();
    connect();
  }

  void close() {
    sentence.reset();
    timer.cancel();
    dropSocket();
  }
};

SarvamTtsService::SarvamTtsService(boost::asio::io_context& io, SarvamTtsSettings settings, UsageSink usage)
    : state_(std::make_shared<State>(io, std::move(settings), std::move(usage))) {}

SarvamTtsService::~SarvamTtsService() { state_->close(); }

const std::string& SarvamTtsService::provider() const { return kProvider; }

void SarvamTtsService::warm() {
  if (!state_->ws && state_->configError.empty()) state_->connect();
}

void SarvamTtsService::synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) {
  (void)utteranceId;
  state_->synthesize(text, std::move(callbacks));
}

void SarvamTtsService::cancel() { state_->cancel(); }

void SarvamTtsService::close() { state_->close(); }

std::string SarvamTtsService::socketUrl() const { return state_->url(); }

std::string SarvamTtsService::configMessage() const { return state_->config(); }

}  // namespace convox::voice

#include "voice/deepgram_stt_service.hpp"

#include "common/logging.hpp"
#include "voice/finishing_utterances.hpp"
#include "voice/provider_socket.hpp"
#include "voice/websocket_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace convox::voice {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kProvider = "deepgram";

// What one utterance has gathered from the Results that belong to it.
constexpr size_t kMaxTranscriptBytes = size_t{64} * 1024;
constexpr size_t kMaxWords = 8192;

struct Heard {
  std::string text;
  double confidenceSum = 0;
  int finals = 0;
  std::vector<SttWord> words;
  std::string language;
  int64_t samples = 0;

  void addFinal(const json::object& alternative) {
    const auto* transcript = alternative.if_contains("transcript");
    const std::string_view t = transcript && transcript->is_string() ? std::string_view(transcript->get_string()) : "";
    // An utterance is seconds of speech; a server sending more than this
    // much is not transcribing it, and the rest is not kept.
    if (t.empty() || text.size() + t.size() > kMaxTranscriptBytes) return;
    if (!text.empty()) text += ' ';
    text += t;
    if (const auto* c = alternative.if_contains("confidence"); c && c->is_number())
      confidenceSum += c->to_number<double>();
    ++finals;
    if (const auto* ws = alternative.if_contains("words"); ws && ws->is_array()) {
      for (const auto& w : ws->get_array()) {
        if (!w.is_object()) continue;
        const auto& o = w.get_object();
        const auto* word = o.if_contains("word");
        if (!word || !word->is_string()) continue;
        const auto seconds = [&](const char* key) {
          const auto* v = o.if_contains(key);
          // Clamped: a double beyond int64 would be undefined to convert.
          return v && v->is_number() ? static_cast<int64_t>(std::clamp(v->to_number<double>() * 1000, 0.0, 1e12)) : 0;
        };
        if (words.size() < kMaxWords)
          words.push_back({std::string(word->get_string()), seconds("start"), seconds("end")});
      }
    }
    if (const auto* ls = alternative.if_contains("languages"); ls && ls->is_array() && !ls->get_array().empty()) {
      if (ls->get_array()[0].is_string()) language = std::string(ls->get_array()[0].get_string());
    }
  }

  SttResult result(const DeepgramSttSettings& s) const {
    SttResult r;
    r.text = text;
    r.confidence = finals > 0 ? confidenceSum / finals : 0;
    r.words = words;
    r.source = s.model;
    r.language = language.empty() ? s.language : language;
    r.audioMs = samples * 1000 / kSttSampleRate;
    return r;
  }
};

}  // namespace

struct DeepgramSttService::State : std::enable_shared_from_this<State> {
  State(boost::asio::io_context& io, DeepgramSttSettings s, UsageSink u)
      : io(io),
        settings(std::move(s)),
        usage(std::move(u)),
        keepAliveTimer(io),
        finishing(
            io, [this](const Heard& h) { return h.result(settings); },
            [this] {
              // A socket that does not answer a Finalize cannot be trusted to
              // keep its answers in order: it is dropped and the next push
              // opens another.
              dropSocket("no finalized result within " + std::to_string(settings.finalizeTimeout.count()) + " ms");
            }) {
    frame.reserve(settings.frameSamples * 2);
  }

  // Passed by argument.
  boost::asio::io_context& io;
  DeepgramSttSettings settings;
  UsageSink usage;
  // Allocated by this.
  std::shared_ptr<WebSocketClient> ws;
  uint64_t generation = 0;  // of ws: a previous socket's handlers are ignored
  std::optional<Clock::time_point> openedAt;
  Clock::time_point lastSent;
  std::vector<uint8_t> frame;  // reused: the pushes not yet sent
  boost::asio::steady_timer keepAliveTimer;
  std::function<void(const SttResult&)> onInterim;
  // The utterance being pushed.
  bool open = false;
  Heard current;
  std::string currentFailure;  // its socket ended: finish() reports this
  // Finalize sent, from_finalize Results not yet: Deepgram answers in order,
  // so Results go to the oldest.
  FinishingUtterances<Heard> finishing;

  std::string url() const {
    const auto& s = settings;
    const auto flag = [](bool b) { return b ? "true" : "false"; };
    std::string u = s.baseUrl + "/listen?model=" + urlEncode(s.model);
    if (!s.language.empty()) u += "&language=" + urlEncode(s.language);
    u += "&encoding=linear16&sample_rate=16000&channels=1&interim_results=true";
    u += std::string("&punctuate=") + flag(s.punctuate) + "&smart_format=" + flag(s.smartFormat);
    if (s.endpointingMs) u += "&endpointing=" + std::to_string(*s.endpointingMs);
    u += std::string("&vad_events=") + flag(s.vadEvents);
    if (s.utteranceEndMs) u += "&utterance_end_ms=" + std::to_string(*s.utteranceEndMs);
    const bool keyterms = s.model.starts_with("nova-3");
    for (const auto& k : s.keywords) {
      if (keyterms) {
        u += "&keyterm=" + urlEncode(k);
      } else {
        auto boost = std::to_string(s.keywordBoost);
        boost.erase(boost.find_last_not_of('0') + 1);
        if (boost.back() == '.') boost.pop_back();
        std::string keyword = k;
        if (keyword.find(':') == std::string::npos) keyword.append(":").append(boost);
        u += "&keywords=" + urlEncode(keyword);
      }
    }
    return u;
  }

  void connect() {
    WebSocketRequest request;
    request.url = url();
    request.headers = {{"Authorization", "Token " + settings.apiKey}};
    request.connectTimeout = settings.connectTimeout;
    request.caFile = settings.caFile;
    if (settings.publicAddressesOnly) request.refuse = publicAddressesOnly("an agent's stt base_url");
    const uint64_t gen = ++generation;
    std::weak_ptr<State> weak = shared_from_this();
    auto handlers = currentSocketHandlers(shared_from_this(), gen);
    handlers.onOpen = [weak, gen] {
      auto self = weak.lock();
      if (!self || self->generation != gen) return;
      self->openedAt = Clock::now();
      self->lastSent = Clock::now();
      self->armKeepAlive();
    };
    ws = connectWebSocket(io, std::move(request), std::move(handlers));
  }

  void reportUsage() {
    if (!openedAt) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - *openedAt).count();
    openedAt.reset();
    if (usage) usage({"stt", kProvider, settings.model, "audio_seconds", seconds});
  }

  void armKeepAlive() {
    keepAliveTimer.expires_at(lastSent + settings.keepAliveInterval);
    keepAliveTimer.async_wait([weak = weak_from_this(), gen = generation](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->generation != gen || !self->ws) return;
      if (Clock::now() - self->lastSent >= self->settings.keepAliveInterval) self->sendText(R"({"type":"KeepAlive"})");
      self->armKeepAlive();
    });
  }

  void sendText(std::string_view text) {
    ws->sendText(text);
    lastSent = Clock::now();
  }

  void sendFrame() {
    if (frame.empty() || !ws) return;  // never a zero-length frame: Deepgram reads it as the end
    ws->sendBinary(frame);
    frame.clear();
    lastSent = Clock::now();
  }

  void onText(std::string_view data) {
    boost::system::error_code ec;
    const auto v = json::parse(data, ec);
    if (ec || !v.is_object()) {
      common::logger("worker")->warn("deepgram: ignored a malformed message ({} bytes)", data.size());
      return;
    }
    const auto& o = v.get_object();
    const auto* type = o.if_contains("type");
    if (!type || !type->is_string() || type->get_string() != "Results") return;  // Metadata, SpeechStarted, ...
    const auto* alternatives = o.if_contains("channel") && o.at("channel").is_object()
                                   ? o.at("channel").get_object().if_contains("alternatives")
                                   : nullptr;
    if (!alternatives || !alternatives->is_array() || alternatives->get_array().empty() ||
        !alternatives->get_array()[0].is_object()) {
      common::logger("worker")->warn("deepgram: ignored Results without alternatives");
      return;
    }
    const auto& alternative = alternatives->get_array()[0].get_object();
    const auto flag = [&](const char* key) {
      const auto* f = o.if_contains(key);
      return f && f->is_bool() && f->get_bool();
    };
    Heard* heard = !finishing.empty() ? &finishing.oldest() : (open ? &current : nullptr);
    if (heard == nullptr) return;  // audio of no utterance (a cancelled one's tail)
    if (flag("is_final")) {
      heard->addFinal(alternative);
    } else if (finishing.empty() && onInterim) {
      Heard interim = *heard;
      interim.addFinal(alternative);
      onInterim(interim.result(settings));
    }
    if (flag("from_finalize") && !finishing.empty()) finishing.deliverOldest("");
  }

  void dropSocket(const std::string& why) {
    if (ws) {
      ws->detach();
      ws.reset();
    }
    ++generation;
    keepAliveTimer.cancel();
    reportUsage();
    failAll("deepgram: " + why);
  }

  void failAll(const std::string& error) {
    frame.clear();
    if (open) currentFailure = error;
    finishing.failAll(error);
  }

  void onEnd(const WebSocketEnd& end) {
    ws.reset();
    keepAliveTimer.cancel();
    reportUsage();
    const auto reason = redactSecret(socketEndReason(end, "dg-error"), settings.apiKey);
    if (open || !finishing.empty()) {
      failAll(end.opened ? "deepgram: connection closed: " + reason : "deepgram: cannot connect: " + reason);
    } else if (!end.error.empty() || end.httpStatus != 0) {
      common::logger("worker")->warn("deepgram: socket ended: {}", reason);
    }
  }

  void push(std::span<const int16_t> pcm) {
    if (!open) {
      open = true;
      current = {};
      currentFailure.clear();
      frame.clear();
      if (!ws) connect();
    }
    current.samples += static_cast<int64_t>(pcm.size());
    if (!currentFailure.empty()) return;
    for (const int16_t s : pcm) {
      frame.push_back(static_cast<uint8_t>(s & 0xFF));
      frame.push_back(static_cast<uint8_t>((s >> 8) & 0xFF));
      if (frame.size() >= settings.frameSamples * 2) sendFrame();
    }
  }

  void finish(SttCallbacks callbacks) {
    if (!open || !currentFailure.empty() || !ws) {
      // Nothing was heard, or the socket already failed this utterance.
      auto result = current.result(settings);
      auto error = open && currentFailure.empty() ? std::string("deepgram: not connected") : currentFailure;
      if (!open) error.clear();
      open = false;
      boost::asio::post(io, [weak = weak_from_this(), cb = std::move(callbacks), result = std::move(result), error] {
        if (weak.lock() && cb.onFinal) cb.onFinal(result, error);
      });
      return;
    }
    sendFrame();
    sendText(R"({"type":"Finalize"})");
    finishing.add(std::move(current), std::move(callbacks), settings.finalizeTimeout);
    open = false;
  }

  void cancel() {
    finishing.dropCallbacks();
    if (!open) return;
    open = false;
    if (!currentFailure.empty() || !ws) return;
    // Its Results are still coming: a Finalize ends them, and they land in
    // an entry without callbacks.
    sendFrame();
    sendText(R"({"type":"Finalize"})");
    finishing.add(std::move(current), {}, settings.finalizeTimeout);
  }

  void close() {
    keepAliveTimer.cancel();
    finishing.clear();
    open = false;
    if (ws) {
      ws->sendText(R"({"type":"CloseStream"})");
      ws->detach();  // closes after the CloseStream
      ws.reset();
    }
    ++generation;
    reportUsage();
  }
};

DeepgramSttService::DeepgramSttService(boost::asio::io_context& io, DeepgramSttSettings settings, UsageSink usage)
    : state_(std::make_shared<State>(io, std::move(settings), std::move(usage))) {}

DeepgramSttService::~DeepgramSttService() { state_->close(); }

const std::string& DeepgramSttService::provider() const { return kProvider; }

void DeepgramSttService::warm() {
  if (!state_->ws) state_->connect();
}

void DeepgramSttService::push(std::span<const int16_t> pcm) { state_->push(pcm); }

void DeepgramSttService::finish(SttCallbacks callbacks) { state_->finish(std::move(callbacks)); }

void DeepgramSttService::setInterimHandler(std::function<void(const SttResult&)> handler) {
  state_->onInterim = std::move(handler);
}

void DeepgramSttService::cancel() { state_->cancel(); }

void DeepgramSttService::close() { state_->close(); }

std::string DeepgramSttService::listenUrl() const { return state_->url(); }

}  // namespace convox::voice

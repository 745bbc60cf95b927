#include "voice/sarvam_stt_service.hpp"

#include "common/logging.hpp"
#include "voice/finishing_utterances.hpp"
#include "voice/json_fields.hpp"
#include "voice/provider_socket.hpp"
#include "voice/sarvam_error.hpp"
#include "voice/websocket_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace convox::voice {

namespace json = boost::json;

namespace {

const std::string kProvider = "sarvam";
constexpr std::string_view kFlush = R"({"type":"flush"})";
constexpr std::string_view kAudioHead = R"({"audio":{"data":")";
constexpr std::string_view kAudioTail = R"(","encoding":"audio/wav","sample_rate":16000}})";

// What one utterance has gathered from the data messages that belong to it.
struct Heard {
  std::string text;
  std::string language;
  int64_t samples = 0;

  void add(const json::object& data) {
    const std::string_view t = stringAt(data, "transcript");
    if (!t.empty()) {
      if (!text.empty()) text += ' ';
      text += t;
    }
    if (auto l = stringAt(data, "language_code"); !l.empty()) language = l;
  }

  SttResult result(const SarvamSttSettings& s) const {
    SttResult r;
    r.text = text;
    r.confidence = 1;  // Sarvam gives none; a low one would make the agent ask the caller to repeat
    r.source = s.model;
    r.provider = kProvider;
    r.language = language.empty() && s.language != "unknown" ? s.language : language;
    r.audioMs = samples * 1000 / kSttSampleRate;
    return r;
  }
};

}  // namespace

struct SarvamSttService::State : std::enable_shared_from_this<State> {
  State(boost::asio::io_context& io, SarvamSttSettings s, UsageSink u)
      : io(io),
        settings(std::move(s)),
        usage(std::move(u)),
        finishing(
            io, [this](const Heard& h) { return h.result(settings); },
            [this] {
              // Sarvam may have had nothing left to transcribe: what arrived is
              // the final, and the socket is kept. An END_SPEECH whose
              // transcript never came is forgotten: it would hold the next
              // answer back.
              segmentsEnded = 0;
              finishing.deliverOldest("");
            }) {
    pcm.reserve(settings.frameSamples * 2);
    message.reserve(kAudioHead.size() + (settings.frameSamples * 2 + 2) / 3 * 4 + kAudioTail.size());
  }

  // Passed by argument.
  boost::asio::io_context& io;
  SarvamSttSettings settings;
  UsageSink usage;
  // Allocated by this.
  std::shared_ptr<WebSocketClient> ws;
  uint64_t generation = 0;   // of ws: a previous socket's handlers are ignored
  std::vector<uint8_t> pcm;  // reused: the pushed samples not yet sent
  std::string message;       // reused: one audio message
  std::function<void(const SttResult&)> onInterim;
  // The utterance being pushed.
  bool open = false;
  Heard current;
  std::string currentFailure;  // its socket ended: finish() reports this
  // Flushed, not yet answered: Sarvam answers in order, so data messages go
  // to the oldest.
  FinishingUtterances<Heard> finishing;
  // With vad_signals: END_SPEECH events on this socket whose segment's
  // transcript has not come yet.
  int segmentsEnded = 0;

  std::string url() const {
    const auto& s = settings;
    const auto flag = [](bool b) { return b ? "true" : "false"; };
    std::string u =
        s.baseUrl + "/speech-to-text/ws?language-code=" + urlEncode(s.language) + "&model=" + urlEncode(s.model);
    if (!s.mode.empty() && s.model.starts_with("saaras:v3")) u += "&mode=" + urlEncode(s.mode);
    u += "&sample_rate=16000&input_audio_codec=pcm_s16le&flush_signal=true";
    if (s.vadSignals) u += std::string("&vad_signals=") + flag(*s.vadSignals);
    if (s.highVadSensitivity) u += std::string("&high_vad_sensitivity=") + flag(*s.highVadSensitivity);
    return u;
  }

  void connect() {
    WebSocketRequest request;
    request.url = url();
    request.headers = {{"api-subscription-key", settings.apiKey}};
    request.connectTimeout = settings.connectTimeout;
    request.idleTimeout = settings.idleTimeout;
    request.caFile = settings.caFile;
    if (settings.publicAddressesOnly) request.refuse = publicAddressesOnly("an agent's stt base_url");
    const uint64_t gen = ++generation;
    segmentsEnded = 0;
    auto handlers = currentSocketHandlers(shared_from_this(), gen);
    ws = connectWebSocket(io, std::move(request), std::move(handlers));
  }

  void sendAudio() {
    if (pcm.empty() || !ws) return;
    message.assign(kAudioHead);
    base64Append(pcm, message);
    message += kAudioTail;
    ws->sendText(message);
    pcm.clear();
  }

  void onText(std::string_view text) {
    boost::system::error_code ec;
    const auto v = json::parse(text, ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (!o) {
      common::logger("worker")->warn("sarvam: ignored a malformed message ({} bytes)", text.size());
      return;
    }
    const std::string_view type = stringAt(*o, "type");
    const auto* data = objectAt(*o, "data");
    if (type == "error") {
      std::string why = data ? sarvamErrorText(*data) : std::string();
      why = redactSecret(why.empty() ? "an error without a message" : why, settings.apiKey);
      if (!open && finishing.empty()) common::logger("worker")->warn("sarvam: error between utterances: {}", why);
      return dropSocket(why);
    }
    if (type == "events") return onEvent(data);
    if (type != "data") return;  // what Sarvam may add
    const auto* transcript = data ? data->if_contains("transcript") : nullptr;
    if (!transcript || !transcript->is_string()) {
      common::logger("worker")->warn("sarvam: ignored a data message without a transcript");
      return;
    }
    bill(*data);
    // A segment Sarvam's own VAD ended is a part of the oldest utterance
    // still waiting (its audio came before that one's flush), not the flush's
    // answer. Only vad_signals tells them apart: without it every data
    // message after a flush is taken as its answer.
    const bool ownSegment = segmentsEnded > 0;
    if (ownSegment) --segmentsEnded;
    if (!finishing.empty()) {
      finishing.oldest().add(*data);
      if (!ownSegment) finishing.deliverOldest("");
    } else if (open) {
      current.add(*data);
      if (onInterim && !current.text.empty()) onInterim(current.result(settings));
    }
    // Otherwise the tail of a cancelled utterance, or a late answer to a
    // flush that timed out: billed, not heard.
  }

  // Sarvam's VAD events (vad_signals). They decide no turns, the local VAD
  // does; END_SPEECH says the next data message is the transcript of a
  // segment Sarvam ended itself, not a flush's answer.
  void onEvent(const json::object* data) {
    if (!settings.vadSignals.value_or(false) || !data) return;
    if (stringAt(*data, "signal_type") == "END_SPEECH") ++segmentsEnded;
  }

  void bill(const json::object& data) {
    const auto* metrics = objectAt(data, "metrics");
    const auto* seconds = metrics ? metrics->if_contains("audio_duration") : nullptr;
    if (!seconds || !seconds->is_number() || !usage) return;
    const double s = seconds->to_number<double>();
    if (s > 0) usage({"stt", kProvider, settings.model, "audio_seconds", s});
  }

  void dropSocket(const std::string& why) {
    if (ws) {
      ws->detach();
      ws.reset();
    }
    ++generation;
    failAll("sarvam: " + why);
  }

  void failAll(const std::string& error) {
    pcm.clear();
    if (open) currentFailure = error;
    finishing.failAll(error);
  }

  void onEnd(const WebSocketEnd& end) {
    ws.reset();
    // A refused upgrade's body is Sarvam's error object: its message and code.
    WebSocketEnd shown = end;
    if (auto text = sarvamErrorFromBody(end.httpBody); !text.empty()) shown.httpBody = text;
    const auto reason = redactSecret(socketEndReason(shown), settings.apiKey);
    if (open || !finishing.empty()) {
      failAll(end.opened ? "sarvam: connection closed: " + reason : "sarvam: cannot connect: " + reason);
    } else if (!end.error.empty() || end.httpStatus != 0) {
      common::logger("worker")->warn("sarvam: socket ended: {}", reason);
    }
  }

  void push(std::span<const int16_t> samples) {
    if (!open) {
      open = true;
      current = {};
      currentFailure.clear();
      pcm.clear();
      if (!ws) connect();
    }
    current.samples += static_cast<int64_t>(samples.size());
    if (!currentFailure.empty()) return;
    for (const int16_t s : samples) {
      pcm.push_back(static_cast<uint8_t>(s & 0xFF));
      pcm.push_back(static_cast<uint8_t>((s >> 8) & 0xFF));
      if (pcm.size() >= settings.frameSamples * 2) sendAudio();
    }
  }

  void flush(SttCallbacks callbacks) {
    sendAudio();
    ws->sendText(kFlush);
    finishing.add(std::move(current), std::move(callbacks), settings.finalizeTimeout);
    open = false;
  }

  void finish(SttCallbacks callbacks) {
    if (!open || !currentFailure.empty() || !ws) {
      // Nothing was heard, or the socket already failed this utterance.
      auto result = current.result(settings);
      auto error = open && currentFailure.empty() ? std::string("sarvam: not connected") : currentFailure;
      if (!open) error.clear();
      open = false;
      boost::asio::post(io, [weak = weak_from_this(), cb = std::move(callbacks), result = std::move(result), error] {
        if (weak.lock() && cb.onFinal) cb.onFinal(result, error);
      });
      return;
    }
    flush(std::move(callbacks));
  }

  void cancel() {
    finishing.dropCallbacks();
    if (!open) return;
    open = false;
    if (!currentFailure.empty() || !ws) return;
    // Its data is still coming: a flush ends it, into an entry without
    // callbacks, so it does not land in the next utterance.
    flush({});
  }

  void close() {
    finishing.clear();
    open = false;
    if (ws) {
      ws->detach();  // closes with 1000 after what was queued
      ws.reset();
    }
    ++generation;
  }
};

SarvamSttService::SarvamSttService(boost::asio::io_context& io, SarvamSttSettings settings, UsageSink usage)
    : state_(std::make_shared<State>(io, std::move(settings), std::move(usage))) {}

SarvamSttService::~SarvamSttService() { state_->close(); }

const std::string& SarvamSttService::provider() const { return kProvider; }

void SarvamSttService::warm() {
  if (!state_->ws) state_->connect();
}

void SarvamSttService::push(std::span<const int16_t> pcm) { state_->push(pcm); }

void SarvamSttService::finish(SttCallbacks callbacks) { state_->finish(std::move(callbacks)); }

void SarvamSttService::setInterimHandler(std::function<void(const SttResult&)> handler) {
  state_->onInterim = std::move(handler);
}

void SarvamSttService::cancel() { state_->cancel(); }

void SarvamSttService::close() { state_->close(); }

std::string SarvamSttService::streamUrl() const { return state_->url(); }

}  // namespace convox::voice

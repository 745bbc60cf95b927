#include "voice/elevenlabs_tts_service.hpp"

#include "common/logging.hpp"
#include "voice/provider_socket.hpp"
#include "voice/resampler.hpp"
#include "voice/websocket_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>

namespace convox::voice {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kProvider = "elevenlabs";

bool isSpace(std::string_view c) { return c.empty() || c == " " || c == "\n" || c == "\t" || c == "\r"; }

size_t nonSpaceCodePoints(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') ++n;
  }
  return n;
}

// Byte offsets of the code points of `text`, in order.
std::vector<size_t> codePointOffsets(std::string_view text) {
  std::vector<size_t> offsets;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  return offsets;
}

const json::value* field(const json::object& o, const char* a, const char* b = nullptr) {
  if (const auto* v = o.if_contains(a)) return v;
  return b ? o.if_contains(b) : nullptr;
}

struct Sentence {
  std::string text;
  TtsCallbacks callbacks;
  Clock::time_point started = Clock::now();
  Clock::time_point deadline;
  std::vector<size_t> offsets;  // of the text's code points
  size_t expected = 0;          // non-whitespace code points to be aligned
  size_t covered = 0;
  size_t aligned = 0;         // alignment characters seen (code point index in the text)
  bool previousSpace = true;  // a word starts at the next non-space
  int64_t inputSamples = 0;   // received at the provider's rate
  TtsStats stats;
};

}  // namespace

struct ElevenLabsTtsService::State : std::enable_shared_from_this<State> {
  State(boost::asio::io_context& io, ElevenLabsTtsSettings s, UsageSink u)
      : io(io), settings(std::move(s)), usage(std::move(u)), timer(io) {
    if (settings.sampleRate != 16000 && settings.sampleRate != 24000) {
      configError = "elevenlabs: sample rate " + std::to_string(settings.sampleRate) +
                    " is not offered as PCM (pcm_16000 or pcm_24000)";
    } else if (settings.voiceId.empty()) {
      configError = "elevenlabs: no voice_id";
    } else {
      std::string error;
      resampler = Resampler::create(settings.sampleRate, kTtsSampleRate, error);
      if (!resampler) configError = "elevenlabs: " + error;
    }
  }

  // Passed by argument.
  boost::asio::io_context& io;
  ElevenLabsTtsSettings settings;
  UsageSink usage;
  // Allocated by this.
  std::string configError;
  std::unique_ptr<Resampler> resampler;  // one per service, reset between sentences
  std::shared_ptr<WebSocketClient> ws;
  uint64_t generation = 0;
  boost::asio::steady_timer timer;
  std::optional<uint64_t> context;  // the utterance whose context is open on ws
  std::string contextId;
  bool closeContextAfterSentence = false;
  // Shared so that onAudio, which may cancel the sentence, runs on a
  // reference to it rather than a copy of its callback.
  std::shared_ptr<Sentence> sentence;
  std::vector<uint8_t> decoded;  // reused per audio message
  std::vector<int16_t> samples;
  std::vector<int16_t> resampled;

  std::string url() const {
    return settings.baseUrl + "/v1/text-to-speech/" + urlEncode(settings.voiceId) +
           "/multi-stream-input?model_id=" + urlEncode(settings.modelId) + "&output_format=pcm_" +
           std::to_string(settings.sampleRate) +
           "&inactivity_timeout=" + std::to_string(settings.inactivityTimeoutSeconds) + "&sync_alignment=true";
  }

  void connect() {
    WebSocketRequest request;
    request.url = url();
    request.headers = {{"xi-api-key", settings.apiKey}};
    request.connectTimeout = settings.connectTimeout;
    request.caFile = settings.caFile;
    if (settings.publicAddressesOnly) request.refuse = publicAddressesOnly("an agent's tts base_url");
    const uint64_t gen = ++generation;
    context.reset();
    auto handlers = currentSocketHandlers(shared_from_this(), gen);
    ws = connectWebSocket(io, std::move(request), std::move(handlers));
  }

  void send(const json::object& message) { ws->sendText(json::serialize(message)); }

  void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) {
    if (!configError.empty()) return postDone(std::move(callbacks), configError);
    if (!ws) connect();
    if (context != utteranceId) {
      if (context) closeContext();
      context = utteranceId;
      contextId = "u" + std::to_string(utteranceId);
      json::object voice{{"stability", settings.stability},
                         {"similarity_boost", settings.similarityBoost},
                         {"style", settings.style},
                         {"use_speaker_boost", settings.useSpeakerBoost},
                         {"speed", settings.speed}};
      send({{"text", " "}, {"voice_settings", std::move(voice)}, {"context_id", contextId}});
    }
    const std::string sent = text + " ";  // ElevenLabs wants text to end with a space
    send({{"text", sent}, {"context_id", contextId}, {"flush", true}});
    if (usage) usage({"tts", kProvider, settings.modelId, "characters", static_cast<double>(codePoints(sent))});
    Sentence s;
    s.text = text;
    s.callbacks = std::move(callbacks);
    s.offsets = codePointOffsets(text);
    s.expected = nonSpaceCodePoints(text);
    s.stats.characters = codePoints(text);
    s.deadline = Clock::now() + settings.sentenceTimeout;
    sentence = std::make_shared<Sentence>(std::move(s));
    resampler->reset();
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
      self->fail("elevenlabs: no audio for " + std::to_string(self->settings.sentenceTimeout.count()) + " ms");
    });
  }

  void closeContext() {
    if (ws && context) send({{"context_id", contextId}, {"close_context", true}});
    context.reset();
    contextId.clear();
    closeContextAfterSentence = false;
  }

  void onText(std::string_view data) {
    boost::system::error_code ec;
    const auto v = json::parse(data, ec);
    if (ec || !v.is_object()) {
      common::logger("worker")->warn("elevenlabs: ignored a malformed message ({} bytes)", data.size());
      return;
    }
    const auto& o = v.get_object();
    if (const auto* error = o.if_contains("error"); error && !error->is_null()) {
      const auto* message = o.if_contains("message");
      std::string why =
          "elevenlabs: " + (error->is_string() ? std::string(error->get_string()) : json::serialize(*error));
      if (message && message->is_string()) why += ": " + std::string(message->get_string());
      why = redactSecret(why, settings.apiKey);
      if (sentence) return fail(why);
      common::logger("worker")->warn("{}", why);
      return;
    }
    const auto* id = field(o, "contextId", "context_id");
    // A closed (cancelled) context's late audio, or no sentence to give it to.
    if (!sentence || (id && id->is_string() && id->get_string() != contextId)) return;
    sentence->deadline = Clock::now() + settings.sentenceTimeout;
    const int64_t chunkStart = sentence->inputSamples * kTtsSampleRate / settings.sampleRate;
    if (const auto* audio = o.if_contains("audio"); audio && audio->is_string()) {
      if (!base64Decode(audio->get_string(), decoded)) return fail("elevenlabs: audio that is not base64");
      deliver();
      if (!sentence) return;  // cancelled from onAudio
    }
    if (const auto* alignment = field(o, "alignment"); alignment && alignment->is_object()) {
      align(alignment->get_object(), chunkStart);
    }
    const auto* isFinal = field(o, "isFinal", "is_final");
    if ((isFinal && isFinal->is_bool() && isFinal->get_bool()) || sentence->covered >= sentence->expected) done();
  }

  void deliver() {
    samples.resize(decoded.size() / 2);
    for (size_t i = 0; i < samples.size(); ++i) {
      samples[i] = static_cast<int16_t>(decoded[2 * i] | (decoded[2 * i + 1] << 8));
    }
    sentence->inputSamples += static_cast<int64_t>(samples.size());
    resampled.resize(resampler->maxOutputSamples(samples.size()));
    const size_t n = resampler->process(samples, resampled);
    emit(n);
  }

  void emit(size_t n) {
    if (n == 0) return;
    const auto keep = sentence;
    auto& s = *keep;
    if (s.stats.firstAudioMs < 0) {
      s.stats.firstAudioMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
    }
    s.stats.audioSamples += static_cast<int64_t>(n);
    if (s.callbacks.onAudio) s.callbacks.onAudio(std::span<const int16_t>(resampled.data(), n));
  }

  // Alignment times are taken as relative to the chunk they came with (the
  // chunk's first sample at `chunkStart`, 48 kHz).
  void align(const json::object& a, int64_t chunkStart) {
    const auto* chars = a.if_contains("chars");
    const auto* starts = field(a, "charStartTimesMs", "charsStartTimesMs");
    if (!chars || !chars->is_array()) return;
    auto& s = *sentence;
    const auto& cs = chars->get_array();
    for (size_t i = 0; i < cs.size(); ++i) {
      const std::string_view c = cs[i].is_string() ? std::string_view(cs[i].get_string()) : "";
      const bool space = isSpace(c);
      if (!space) {
        ++s.covered;
        if (s.previousSpace && s.aligned < s.offsets.size()) {
          int64_t ms = 0;
          if (starts && starts->is_array() && i < starts->get_array().size() && starts->get_array()[i].is_number()) {
            ms = static_cast<int64_t>(starts->get_array()[i].to_number<double>());
          }
          s.stats.words.push_back({s.offsets[s.aligned], chunkStart + ms * kTtsSampleRate / 1000});
        }
      }
      s.previousSpace = space;
      ++s.aligned;
    }
  }

  void done() {
    resampled.resize(resampler->maxOutputSamples(0) + 4096);
    emit(resampler->flush(resampled));
    if (!sentence) return;
    resampler->reset();
    auto s = std::move(*sentence);
    sentence.reset();
    timer.cancel();
    s.stats.totalMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
    if (closeContextAfterSentence) closeContext();
    if (s.callbacks.onDone) s.callbacks.onDone(std::move(s.stats), "");
  }

  void fail(const std::string& error) {
    if (!sentence) return;
    auto s = std::move(*sentence);
    sentence.reset();
    timer.cancel();
    resampler->reset();
    s.stats.totalMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
    if (s.callbacks.onDone) s.callbacks.onDone(std::move(s.stats), error);
  }

  void onEnd(const WebSocketEnd& end) {
    ws.reset();
    context.reset();
    const auto reason = redactSecret(socketEndReason(end), settings.apiKey);
    if (sentence)
      return fail(end.opened ? "elevenlabs: connection closed: " + reason : "elevenlabs: cannot connect: " + reason);
    // Between replies: the next sentence reconnects.
    if (!end.error.empty() || end.httpStatus != 0 || (end.closeCode != 1000 && end.closeCode != 0)) {
      common::logger("worker")->info("elevenlabs: socket ended between replies: {}", reason);
    }
  }

  void endUtterance(uint64_t utteranceId) {
    if (context != utteranceId) return;
    if (sentence) {
      closeContextAfterSentence = true;  // closing now would cut its audio
    } else {
      closeContext();
    }
  }

  void cancel() {
    sentence.reset();
    timer.cancel();
    if (resampler) resampler->reset();
    closeContext();  // its later audio carries a context id no longer ours
  }

  void close() {
    cancel();
    timer.cancel();
    if (ws) {
      ws->sendText(R"({"close_socket":true})");
      ws->detach();
      ws.reset();
    }
    ++generation;
  }
};

ElevenLabsTtsService::ElevenLabsTtsService(boost::asio::io_context& io, ElevenLabsTtsSettings settings, UsageSink usage)
    : state_(std::make_shared<State>(io, std::move(settings), std::move(usage))) {}

ElevenLabsTtsService::~ElevenLabsTtsService() { state_->close(); }

const std::string& ElevenLabsTtsService::provider() const { return kProvider; }

void ElevenLabsTtsService::warm() {
  if (!state_->ws && state_->configError.empty()) state_->connect();
}

void ElevenLabsTtsService::synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) {
  state_->synthesize(text, utteranceId, std::move(callbacks));
}

void ElevenLabsTtsService::endUtterance(uint64_t utteranceId) { state_->endUtterance(utteranceId); }

void ElevenLabsTtsService::cancel() { state_->cancel(); }

void ElevenLabsTtsService::close() { state_->close(); }

}  // namespace convox::voice

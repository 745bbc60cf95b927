#include "voice/openai_speech_service.hpp"

#include "voice/http_stream.hpp"
#include "voice/pcm16_assembler.hpp"
#include "voice/provider_http.hpp"
#include "voice/provider_socket.hpp"
#include "voice/resampler.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace convox::voice {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxErrorBody = size_t{64} * 1024;

}  // namespace

struct OpenAiSpeechService::Sentence {
  TtsCallbacks callbacks;
  std::shared_ptr<HttpStream> http;
  HttpResponseHead head;
  std::string errorBody;   // a failed response's body
  bool audioBody = false;  // a 2xx answer with audio (not JSON)
  Pcm16Assembler pcm;      // a body chunk may end inside a sample
  size_t characters = 0;
  Clock::time_point started = Clock::now();
  TtsStats stats;
  bool done = false;
};

OpenAiSpeechService::OpenAiSpeechService(boost::asio::io_context& io, OpenAiSpeechSettings settings, UsageSink usage)
    : io_(io), settings_(std::move(settings)), usage_(std::move(usage)) {
  if (settings_.sampleRate != kTtsSampleRate) {
    resampler_ = Resampler::create(settings_.sampleRate, kTtsSampleRate, error_);
    if (!resampler_) error_ = settings_.provider + " speech: " + error_;
  }
}

OpenAiSpeechService::~OpenAiSpeechService() { cancel(); }

std::string OpenAiSpeechService::requestBody(const std::string& text) const {
  json::object body{{"model", settings_.model},
                    {"input", text},
                    {"voice", settings_.voice},
                    {"response_format", "pcm"},
                    {"speed", settings_.speed}};
  if (!settings_.instructions.empty()) body["instructions"] = settings_.instructions;
  return json::serialize(body);
}

void OpenAiSpeechService::warm() {
  warmHttpConnection(io_, settings_.baseUrl, settings_.caFile,
                     settings_.publicAddressesOnly ? publicAddressesOnly("an agent's tts base_url") : nullptr);
}

void OpenAiSpeechService::synthesize(const std::string& text, uint64_t /*utteranceId*/, TtsCallbacks callbacks) {
  cancel();  // one sentence at a time
  auto sentence = std::make_shared<Sentence>();
  sentence->callbacks = std::move(callbacks);
  sentence->characters = codePoints(text);  // OpenAI bills characters, not bytes
  sentence->stats.characters = sentence->characters;
  current_ = sentence;
  if (resampler_) resampler_->reset();
  if (!error_.empty()) {  // soxr refused the rate: said later, never inside synthesize()
    boost::asio::post(io_, [this, sentence, why = error_.substr(error_.find(": ") + 2)] {
      if (!sentence->done) finished(*sentence, why);
    });
    return;
  }

  HttpStreamRequest request;
  request.url = settings_.baseUrl + "/audio/speech";
  request.headers = {{"Content-Type", "application/json"}};
  if (!settings_.apiKey.empty()) request.headers.emplace_back("Authorization", "Bearer " + settings_.apiKey);
  request.body = requestBody(text);
  request.connectTimeout = settings_.connectTimeout;
  request.idleTimeout = settings_.idleTimeout;
  request.caFile = settings_.caFile;
  if (settings_.publicAddressesOnly) request.refuse = publicAddressesOnly("an agent's tts base_url");

  // The handlers hold the sentence; `this` is only reached while the
  // sentence is current, and cancel() (also from the destructor) stops them.
  HttpStreamHandlers handlers;
  handlers.onHead = [this, sentence](const HttpResponseHead& head) {
    sentence->head = head;
    const auto type = head.header("content-type");
    sentence->audioBody = head.status / 100 == 2 && !type.starts_with("application/json");
    if (sentence->audioBody && usage_) {
      usage_({"tts", settings_.provider, settings_.model, "characters", static_cast<double>(sentence->characters)});
    }
  };
  handlers.onBody = [this, sentence](std::string_view bytes) {
    if (sentence->audioBody) return audio(*sentence, bytes);
    if (sentence->errorBody.size() < kMaxErrorBody) sentence->errorBody.append(bytes);
  };
  handlers.onEnd = [this, sentence](const std::string& error) {
    if (sentence->done) return;
    if (!error.empty()) return finished(*sentence, error);
    if (sentence->head.status / 100 != 2) {
      return finished(*sentence, httpFailure("", sentence->head, sentence->errorBody).substr(2));
    }
    if (!sentence->audioBody) {
      return finished(*sentence, "expected pcm audio, got " + std::string(sentence->head.header("content-type")) +
                                     ": " + sentence->errorBody.substr(0, 200));
    }
    finished(*sentence, "");
  };
  sentence->http = startHttpStream(io_, std::move(request), std::move(handlers));
}

void OpenAiSpeechService::audio(Sentence& s, std::string_view bytes) {
  if (s.done || bytes.empty()) return;
  std::span<const int16_t> pcm = s.pcm.push(bytes);
  if (pcm.empty()) return;
  if (resampler_) {
    out_.resize(std::max(out_.size(), resampler_->maxOutputSamples(pcm.size())));
    pcm = {out_.data(), resampler_->process(pcm, out_)};
  }
  if (pcm.empty()) return;
  if (s.stats.firstAudioMs < 0) {
    s.stats.firstAudioMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
  }
  s.stats.audioSamples += static_cast<int64_t>(pcm.size());
  if (s.callbacks.onAudio) s.callbacks.onAudio(pcm);
}

void OpenAiSpeechService::finished(Sentence& s, const std::string& error) {
  s.done = true;
  if (error.empty() && resampler_ && s.callbacks.onAudio) {
    out_.resize(std::max(out_.size(), resampler_->maxOutputSamples(static_cast<size_t>(settings_.sampleRate))));
    const size_t n = resampler_->flush(out_);
    if (n > 0) {
      s.stats.audioSamples += static_cast<int64_t>(n);
      s.callbacks.onAudio(std::span<const int16_t>(out_.data(), n));
    }
  }
  s.stats.totalMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
  auto onDone = std::move(s.callbacks.onDone);
  s.callbacks = {};
  if (current_.get() == &s) current_.reset();
  if (onDone)
    onDone(s.stats, error.empty() ? "" : redactSecret(settings_.provider + " speech: " + error, settings_.apiKey));
}

void OpenAiSpeechService::cancel() {
  auto s = std::move(current_);
  current_.reset();
  if (!s) return;
  s->done = true;
  if (s->http) s->http->cancel();
  // Released later: cancel() may run inside onAudio.
  boost::asio::post(io_, [s] { s->callbacks = {}; });
}

}  // namespace convox::voice

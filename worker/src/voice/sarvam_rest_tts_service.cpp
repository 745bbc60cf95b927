#include "voice/http_stream.hpp"
#include "voice/provider_http.hpp"
#include "voice/resampler.hpp"
#include "voice/sarvam_error.hpp"
#include "voice/sarvam_tts_fields.hpp"
#include "voice/sarvam_tts_service.hpp"
#include "voice/text_clip.hpp"
#include "voice/wav_header.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstring>

namespace convox::voice {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kProvider = "sarvam";
// A sentence's WAV in base64: a minute at 48 kHz is under 8 MiB.
constexpr size_t kMaxBody = size_t{16} * 1024 * 1024;

}  // namespace

struct SarvamRestTtsService::Sentence {
  TtsCallbacks callbacks;
  std::shared_ptr<HttpStream> http;
  HttpResponseHead head;
  std::string body;
  bool tooLong = false;
  size_t characters = 0;
  Clock::time_point started = Clock::now();
  TtsStats stats;
  bool done = false;
};

SarvamRestTtsService::SarvamRestTtsService(boost::asio::io_context& io, SarvamTtsSettings settings, UsageSink usage)
    : io_(io), settings_(std::move(settings)), usage_(std::move(usage)) {
  static constexpr int kRates[] = {8000, 16000, 22050, 24000, 32000, 44100, 48000};
  if (std::find(std::begin(kRates), std::end(kRates), settings_.sampleRate) == std::end(kRates)) {
    configError_ = "sarvam tts: no " + std::to_string(settings_.sampleRate) +
                   " Hz (8000, 16000, 22050, 24000, 32000, 44100, 48000)";
  }
}

SarvamRestTtsService::~SarvamRestTtsService() { cancel(); }

const std::string& SarvamRestTtsService::provider() const { return kProvider; }

std::string SarvamRestTtsService::requestUrl() const { return settings_.baseUrl + "/text-to-speech"; }

std::string SarvamRestTtsService::requestBody(const std::string& text) const {
  auto body = sarvamSynthesisFields(settings_, "wav");
  body["text"] = text;
  return json::serialize(body);
}

void SarvamRestTtsService::warm() {
  warmHttpConnection(io_, settings_.baseUrl, settings_.caFile,
                     settings_.publicAddressesOnly ? publicAddressesOnly("an agent's tts base_url") : nullptr);
}

void SarvamRestTtsService::synthesize(const std::string& text, uint64_t /*utteranceId*/, TtsCallbacks callbacks) {
  cancel();  // one sentence at a time
  auto sentence = std::make_shared<Sentence>();
  sentence->callbacks = std::move(callbacks);
  sentence->characters = codePoints(text);
  sentence->stats.characters = sentence->characters;
  current_ = sentence;
  if (!configError_.empty()) {  // said later, never inside synthesize()
    boost::asio::post(io_, [this, sentence] {
      if (!sentence->done) finished(*sentence, configError_.substr(std::strlen("sarvam tts: ")));
    });
    return;
  }
  HttpStreamRequest request;
  request.url = requestUrl();
  request.headers = {{"Content-Type", "application/json"}, {"api-subscription-key", settings_.apiKey}};
  request.body = requestBody(text);
  // The answer comes once the whole sentence is synthesized.
  request.connectTimeout = settings_.connectTimeout + settings_.sentenceTimeout;
  request.idleTimeout = settings_.sentenceTimeout;
  request.caFile = settings_.caFile;
  if (settings_.publicAddressesOnly) request.refuse = publicAddressesOnly("an agent's tts base_url");

  // The handlers hold the sentence; `this` is reached only while it is not
  // done, and cancel() (also from the destructor) stops them.
  HttpStreamHandlers handlers;
  handlers.onHead = [this, sentence](const HttpResponseHead& head) {
    sentence->head = head;
    if (head.status / 100 == 2 && usage_) {
      usage_({"tts", kProvider, settings_.model, "characters", static_cast<double>(sentence->characters)});
    }
  };
  handlers.onBody = [sentence](std::string_view bytes) {
    if (sentence->body.size() + bytes.size() > kMaxBody) {
      sentence->tooLong = true;
      return;
    }
    sentence->body.append(bytes);
  };
  handlers.onEnd = [this, sentence](const std::string& error) {
    if (sentence->done) return;
    if (!error.empty()) return finished(*sentence, error);
    if (sentence->head.status / 100 != 2) {
      return finished(*sentence, httpFailure("", sentence->head, sentence->body).substr(2));
    }
    if (sentence->tooLong) return finished(*sentence, "the answer is longer than 16 MiB");
    answered(*sentence);
  };
  sentence->http = startHttpStream(io_, std::move(request), std::move(handlers));
}

void SarvamRestTtsService::answered(Sentence& s) {
  boost::system::error_code ec;
  const auto v = json::parse(s.body, ec);
  const auto* o = !ec ? v.if_object() : nullptr;
  if (!o) return finished(s, "malformed response: not a JSON object: " + clipText(s.body, 120));
  if (const auto* e = o->if_contains("error"); e && !e->is_null()) {
    return finished(s, "the server reported an error: " +
                           (e->is_object() ? sarvamErrorText(e->get_object()) : clipText(json::serialize(*e))));
  }
  const auto* audios = o->if_contains("audios");
  if (!audios || !audios->is_array() || audios->get_array().empty()) {
    return finished(s, "malformed response: no audios");
  }
  for (const auto& audio : audios->get_array()) {
    std::string error;
    if (!audio.is_string()) return finished(s, "malformed response: an audio that is not a string");
    if (!deliver(s, audio.get_string(), error)) return finished(s, error);
    if (s.done) return;  // cancelled from onAudio
  }
  finished(s, "");
}

bool SarvamRestTtsService::deliver(Sentence& s, std::string_view base64, std::string& error) {
  if (!base64Decode(base64, decoded_)) {
    error = "malformed response: audio that is not base64";
    return false;
  }
  const std::string_view wav(reinterpret_cast<const char*>(decoded_.data()), decoded_.size());
  const auto h = parsePcm16MonoWav(wav, error);
  if (!h) {
    error = "malformed response: " + error;
    return false;
  }
  samples_.resize(h->dataSize / 2);
  if (samples_.empty()) return true;
  std::memcpy(samples_.data(), wav.data() + h->dataOffset, samples_.size() * 2);  // s16le on a little-endian host
  std::span<const int16_t> pcm(samples_);
  if (h->sampleRate != kTtsSampleRate) {
    if (!resampler_ || resampler_->inputRate() != h->sampleRate) {
      resampler_ = Resampler::create(h->sampleRate, kTtsSampleRate, error);
      if (!resampler_) return false;
    }
    resampler_->reset();
    resampled_.resize(resampler_->maxOutputSamples(pcm.size()) + resampler_->maxOutputSamples(0) + 4096);
    size_t n = resampler_->process(pcm, resampled_);
    n += resampler_->flush(std::span<int16_t>(resampled_).subspan(n));
    pcm = {resampled_.data(), n};
  }
  if (pcm.empty()) return true;
  if (s.stats.firstAudioMs < 0) {
    s.stats.firstAudioMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
  }
  s.stats.audioSamples += static_cast<int64_t>(pcm.size());
  auto onAudio = s.callbacks.onAudio;  // a copy: onAudio may cancel
  if (onAudio) onAudio(pcm);
  return true;
}

void SarvamRestTtsService::finished(Sentence& s, const std::string& error) {
  s.done = true;
  s.stats.totalMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.started).count();
  auto onDone = std::move(s.callbacks.onDone);
  s.callbacks = {};
  if (current_.get() == &s) current_.reset();
  if (onDone) onDone(s.stats, error.empty() ? "" : redactSecret("sarvam tts: " + error, settings_.apiKey));
}

void SarvamRestTtsService::cancel() {
  auto s = std::move(current_);
  current_.reset();
  if (!s) return;
  s->done = true;
  if (s->http) s->http->cancel();
  // Released later: cancel() may run inside onAudio.
  boost::asio::post(io_, [s] { s->callbacks = {}; });
}

}  // namespace convox::voice

#include "voice/openai_transcription_service.hpp"

#include "voice/chat_stream_decoder.hpp"
#include "voice/http_stream.hpp"
#include "voice/json_fields.hpp"
#include "voice/provider_http.hpp"
#include "voice/sarvam_error.hpp"
#include "voice/sse_parser.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace convox::voice {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxBody = size_t{1} << 20;

void putLe(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A 16 kHz mono s16le WAV file: what every server here reads without ffmpeg.
std::string wavFile(std::span<const int16_t> pcm) {
  const auto dataBytes = static_cast<uint32_t>(pcm.size() * 2);
  std::string out;
  out.reserve(44 + dataBytes);
  out += "RIFF";
  putLe(out, 36 + dataBytes, 4);
  out += "WAVEfmt ";
  putLe(out, 16, 4);
  putLe(out, 1, 2);  // PCM
  putLe(out, 1, 2);  // mono
  putLe(out, kSttSampleRate, 4);
  putLe(out, kSttSampleRate * 2, 4);
  putLe(out, 2, 2);
  putLe(out, 16, 2);
  out += "data";
  putLe(out, dataBytes, 4);
  for (int16_t s : pcm) putLe(out, static_cast<uint16_t>(s), 2);
  return out;
}

const json::object* asObject(const json::value& v) { return v.if_object(); }

// exp of the segments' avg_logprob, weighted by their duration.
std::optional<double> confidenceOf(const json::object& o) {
  const auto* segments = o.if_contains("segments");
  if (!segments || !segments->is_array()) return std::nullopt;
  double sum = 0;
  double weight = 0;
  for (const auto& s : segments->get_array()) {
    const auto* seg = s.if_object();
    if (!seg) continue;
    const auto* lp = seg->if_contains("avg_logprob");
    if (!lp || !lp->is_number()) continue;
    double w = 1;
    const auto* start = seg->if_contains("start");
    const auto* end = seg->if_contains("end");
    if (start && end && start->is_number() && end->is_number()) {
      w = std::max(0.01, end->to_number<double>() - start->to_number<double>());
    }
    sum += lp->to_number<double>() * w;
    weight += w;
  }
  if (weight == 0) return std::nullopt;
  return std::clamp(std::exp(sum / weight), 0.0, 1.0);
}

// As the agent reads it: words separated by single spaces, lower-case
// (ASCII), punctuation kept. whisper.cpp joins segments with newlines and
// keeps their leading spaces.
std::string transcriptText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

// verbose_json names the language: OpenAI in English ("english"),
// whisper.cpp by code ("en"). The configured tag when it is that language.
std::string languageTag(std::string detected, const std::string& configured) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"english", "en"}, {"hindi", "hi"},      {"spanish", "es"}, {"french", "fr"},  {"german", "de"},
      {"italian", "it"}, {"portuguese", "pt"}, {"dutch", "nl"},   {"russian", "ru"}, {"japanese", "ja"},
      {"chinese", "zh"}, {"korean", "ko"},     {"arabic", "ar"},  {"turkish", "tr"}, {"polish", "pl"},
      {"tamil", "ta"},   {"telugu", "te"},     {"bengali", "bn"}, {"marathi", "mr"}, {"gujarati", "gu"},
      {"kannada", "kn"}, {"malayalam", "ml"},  {"punjabi", "pa"}, {"urdu", "ur"}};
  std::transform(detected.begin(), detected.end(), detected.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [name, code] : kNames) {
    if (detected == name) detected = code;
  }
  if (detected.size() != 2) return "";
  return iso639_1(configured) == detected ? configured : detected;
}

void addOpenAiFields(const OpenAiTranscriptionSettings& s, HttpStreamRequest& http) {
  if (!s.apiKey.empty()) http.headers.emplace_back("Authorization", "Bearer " + s.apiKey);
  if (s.stream) http.headers.emplace_back("Accept", "text/event-stream");
  if (auto lang = iso639_1(s.language); !lang.empty()) http.form.push_back({"language", lang, "", ""});
  if (!s.keywords.empty()) {
    std::string prompt;
    for (const auto& k : s.keywords) prompt += (prompt.empty() ? "" : ", ") + k;
    http.form.push_back({"prompt", prompt, "", ""});
  }
  http.form.push_back({"response_format", s.verboseJson && !s.stream ? "verbose_json" : "json", "", ""});
  if (s.stream) http.form.push_back({"stream", "true", "", ""});
}

void addSarvamFields(const OpenAiTranscriptionSettings& s, HttpStreamRequest& http) {
  if (!s.apiKey.empty()) http.headers.emplace_back("api-subscription-key", s.apiKey);
  http.form.push_back({"language_code", s.language.empty() ? "unknown" : s.language, "", ""});
  if (!s.mode.empty() && s.model.starts_with("saaras:v3")) http.form.push_back({"mode", s.mode, "", ""});
}

}  // namespace

std::string iso639_1(const std::string& bcp47) {
  std::string primary = bcp47.substr(0, bcp47.find_first_of("-_"));
  std::transform(primary.begin(), primary.end(), primary.begin(), [](unsigned char c) { return std::tolower(c); });
  return primary.size() == 2 ? primary : std::string();
}

struct OpenAiTranscriptionService::Request {
  std::string what;  // "openai transcription"
  std::string provider;
  std::string model;
  std::string language;  // configured, BCP-47
  std::string apiKey;    // only to redact it from errors
  bool sarvam = false;
  bool stream = false;
  SttCallbacks callbacks;
  std::function<void(const SttResult&)> interim;
  UsageSink usage;
  std::shared_ptr<HttpStream> http;
  HttpResponseHead head;
  std::string body;
  SseParser sse;
  std::string deltas;
  int64_t audioMs = 0;
  Clock::time_point started = Clock::now();
  bool finished = false;

  void onHead(const HttpResponseHead& h) { head = h; }

  void onBody(std::string_view bytes) {
    if (finished) return;
    if (stream && head.status / 100 == 2) {
      std::string error;
      if (!sse.feed(
              bytes, [this](std::string_view data) { onEvent(data); }, error))
        fail("malformed stream: " + error);
      return;
    }
    if (body.size() + bytes.size() > kMaxBody) return fail("the response is larger than 1 MiB");
    body.append(bytes);
  }

  void onEvent(std::string_view data) {
    if (finished) return;
    boost::system::error_code ec;
    const auto value = json::parse(data, ec);
    const auto* o = ec ? nullptr : asObject(value);
    if (!o) return fail("malformed event: not a JSON object");
    if (o->contains("error")) return fail("the server reported an error mid-stream: " + errorText(data));
    const std::string_view type = stringAt(*o, "type");
    if (type == "transcript.text.delta") {
      const auto delta = stringAt(*o, "delta");
      if (deltas.size() + delta.size() > kMaxBody) return fail("the streamed transcript is larger than 1 MiB");
      deltas += delta;
      if (interim) interim(result(deltas));
    } else if (type == "transcript.text.done") {
      const std::string text(stringAt(*o, "text"));
      succeed(result(text.empty() ? deltas : text));
    }
  }

  void onEnd(const std::string& error) {
    if (finished) return;
    if (!error.empty()) return fail(error);
    if (head.status / 100 != 2) {
      std::string failure = httpFailure("", head, body).substr(2);  // ": HTTP ..."
      if (const std::string code = sarvam ? codeOf(body) : ""; !code.empty()) failure += " (" + code + ")";
      return fail(failure);
    }
    if (stream) return fail("the stream ended before transcript.text.done");
    boost::system::error_code ec;
    const auto value = json::parse(body, ec);
    const auto* o = ec ? nullptr : asObject(value);
    if (!o) return fail("malformed response: not a JSON object");
    if (sarvam) return onSarvamAnswer(*o);
    // whisper.cpp's server answers bad input with 200 and {"error": ...}.
    if (o->contains("error")) return fail("the server reported an error: " + errorText(body));
    const auto* text = o->if_contains("text");
    if (!text || !text->is_string()) return fail("malformed response: no text");
    SttResult r = result(std::string(text->get_string()));
    if (auto c = confidenceOf(*o)) r.confidence = *c;
    if (auto detected = languageTag(std::string(stringAt(*o, "language")), language); !detected.empty())
      r.language = detected;
    succeed(std::move(r));
  }

  // {"request_id", "transcript", "language_code", "language_probability"}
  void onSarvamAnswer(const json::object& o) {
    if (const auto* e = objectAt(o, "error")) return fail("the server reported an error: " + sarvamErrorText(*e));
    const auto* text = o.if_contains("transcript");
    if (!text || !text->is_string()) return fail("malformed response: no transcript");
    SttResult r = result(std::string(text->get_string()));
    if (auto heard = stringAt(o, "language_code"); !heard.empty()) {
      r.language = heard;
    } else if (r.language == "unknown") {
      r.language.clear();  // asked to detect, and none was named
    }
    succeed(std::move(r));
  }

  // Sarvam's error code ("invalid_api_key_error"), "" if the body has none.
  static std::string codeOf(std::string_view body) {
    boost::system::error_code ec;
    const auto value = json::parse(body, ec);
    const auto* o = ec ? nullptr : asObject(value);
    const auto* e = o ? objectAt(*o, "error") : nullptr;
    return e ? clipText(stringAt(*e, "code"), 60) : std::string();
  }

  static std::string errorText(std::string_view body) { return errorMessageFromBody(body); }

  SttResult result(const std::string& text) const {
    SttResult r;
    r.text = transcriptText(text);
    r.confidence = 1;
    r.source = model.empty() ? provider : model;
    r.language = language;
    r.audioMs = audioMs;
    r.computeMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    return r;
  }

  // The stream's handlers hold this request: dropping our hold on the
  // stream here breaks the cycle even if its deferred release never runs.
  void stopHttp() {
    if (!http) return;
    http->cancel();
    http.reset();
  }

  void succeed(SttResult r) {
    finished = true;
    stopHttp();  // a stream's done event is terminal
    if (usage && audioMs > 0) usage({"stt", provider, model, "audio_seconds", static_cast<double>(audioMs) / 1000.0});
    auto cb = std::move(callbacks.onFinal);
    if (cb) cb(std::move(r), "");
  }

  void fail(const std::string& error) {
    finished = true;
    stopHttp();
    auto cb = std::move(callbacks.onFinal);
    if (cb) cb(result(deltas), redactSecret(what + ": " + error, apiKey));
  }
};

OpenAiTranscriptionService::OpenAiTranscriptionService(boost::asio::io_context& io,
                                                       OpenAiTranscriptionSettings settings, UsageSink usage)
    : io_(io), settings_(std::move(settings)), usage_(std::move(usage)) {
  utterance_.reserve(size_t{kSttSampleRate} * 10);
}

OpenAiTranscriptionService::~OpenAiTranscriptionService() { cancel(); }

void OpenAiTranscriptionService::warm() {
  warmHttpConnection(io_, settings_.baseUrl, settings_.caFile,
                     settings_.publicAddressesOnly ? publicAddressesOnly("an agent's stt base_url") : nullptr);
}

void OpenAiTranscriptionService::push(std::span<const int16_t> pcm) {
  const size_t room = settings_.maxUtteranceSamples - std::min(settings_.maxUtteranceSamples, utterance_.size());
  utterance_.insert(utterance_.end(), pcm.begin(), pcm.begin() + static_cast<ptrdiff_t>(std::min(room, pcm.size())));
}

void OpenAiTranscriptionService::finish(SttCallbacks callbacks) {
  std::erase_if(inFlight_, [](const auto& r) { return r->finished; });
  auto request = std::make_shared<Request>();
  request->what = settings_.provider + " transcription";
  request->provider = settings_.provider;
  request->model = settings_.model;
  request->language = settings_.language;
  request->apiKey = settings_.apiKey;
  request->sarvam = settings_.dialect == TranscriptionDialect::kSarvam;
  request->stream = settings_.stream && !request->sarvam;
  request->interim = callbacks.onInterim ? callbacks.onInterim : interim_;
  request->callbacks = std::move(callbacks);
  request->usage = usage_;
  request->audioMs = static_cast<int64_t>(utterance_.size()) * 1000 / kSttSampleRate;

  if (utterance_.empty()) {  // nothing to send: an empty final, later
    boost::asio::post(io_, [request] {
      if (!request->finished) request->succeed(request->result(""));
    });
    inFlight_.push_back(request);
    return;
  }

  HttpStreamRequest http;
  http.url = settings_.baseUrl + settings_.path;
  http.form.push_back({"file", wavFile(utterance_), "audio.wav", "audio/wav"});
  utterance_.clear();
  if (!settings_.model.empty()) http.form.push_back({"model", settings_.model, "", ""});
  if (request->sarvam) {
    addSarvamFields(settings_, http);
  } else {
    addOpenAiFields(settings_, http);
  }
  http.connectTimeout = settings_.connectTimeout;
  http.idleTimeout = settings_.idleTimeout;
  http.caFile = settings_.caFile;
  if (settings_.publicAddressesOnly) http.refuse = publicAddressesOnly("an agent's stt base_url");

  HttpStreamHandlers handlers;
  handlers.onHead = [request](const HttpResponseHead& h) { request->onHead(h); };
  handlers.onBody = [request](std::string_view b) { request->onBody(b); };
  handlers.onEnd = [request](const std::string& e) { request->onEnd(e); };
  request->http = startHttpStream(io_, std::move(http), std::move(handlers));
  inFlight_.push_back(std::move(request));
}

void OpenAiTranscriptionService::cancel() {
  utterance_.clear();
  auto requests = std::move(inFlight_);
  inFlight_.clear();
  for (auto& r : requests) {
    r->finished = true;
    if (r->http) r->http->cancel();
    // Released later: cancel() may run inside the interim handler.
    boost::asio::post(io_, [r] {
      r->callbacks = {};
      r->interim = nullptr;
    });
  }
}

}  // namespace convox::voice

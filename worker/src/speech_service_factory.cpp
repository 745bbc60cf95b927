#include "speech_service_factory.hpp"

#include "common/logging.hpp"
#include "local_services.hpp"
#include "provider_cascade.hpp"
#include "provider_endpoint.hpp"
#include "voice/deepgram_stt_service.hpp"
#include "voice/deepgram_tts_service.hpp"
#include "voice/elevenlabs_tts_service.hpp"
#include "voice/fallback_services.hpp"
#include "voice/openai_speech_service.hpp"
#include "voice/openai_transcription_service.hpp"
#include "voice/sarvam_languages.hpp"
#include "voice/sarvam_stt_service.hpp"
#include "voice/sarvam_tts_service.hpp"
#include "voice/test_providers.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <type_traits>
#include <vector>

namespace convox::worker {

namespace {

template <class Service>
using Maker = ServiceChoice<Service> (*)(const agent_config::AgentSettings& agent,
                                         const agent_config::ProviderChoice& choice,
                                         const SpeechServiceContext& context);

// --- settings from the document ----------------------------------------------

// The WebSocket providers' clients take ws:// and wss:// URLs; endpoints are
// configured (and their keys trusted) as the https:// ones they are.
std::string webSocketUrl(const std::string& httpUrl) {
  if (httpUrl.starts_with("https://")) return "wss://" + httpUrl.substr(8);
  if (httpUrl.starts_with("http://")) return "ws://" + httpUrl.substr(7);
  return httpUrl;
}

template <class T>
void readConfig(const boost::json::object& config, const char* key, T& out) {
  const auto* v = config.if_contains(key);
  if (v == nullptr) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (v->is_bool()) out = v->get_bool();
  } else if constexpr (std::is_same_v<T, std::optional<int>>) {
    if (v->is_int64()) out = static_cast<int>(v->get_int64());
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (v->is_string()) out = std::string(v->get_string());
  } else if constexpr (std::is_same_v<T, double>) {
    if (v->is_number()) out = v->to_number<double>();
  }
}

template <class Service>
bool endpointFor(const EndpointSpec& spec, const agent_config::ProviderChoice& choice,
                 const SpeechServiceContext& context, ServiceChoice<Service>& out, Endpoint& endpoint) {
  EndpointError error;
  auto e = resolveEndpoint(spec, choice.config, context.env, error);
  if (!e) {
    out.error = error.error;
    out.endReason = error.endReason;
    return false;
  }
  endpoint = std::move(*e);
  return true;
}

std::unique_ptr<voice::SttService> deepgramStt(const agent_config::AgentSettings& agent,
                                               const agent_config::ProviderChoice& choice, const Endpoint& e,
                                               const SpeechServiceContext& context) {
  voice::DeepgramSttSettings s;
  s.baseUrl = webSocketUrl(e.baseUrl);
  s.apiKey = e.apiKey;
  s.publicAddressesOnly = e.publicOnly;
  if (!choice.model.empty()) s.model = choice.model;
  s.language = choice.language;
  s.keywords = agent.keywords;
  readConfig(choice.config, "punctuate", s.punctuate);
  readConfig(choice.config, "smart_format", s.smartFormat);
  readConfig(choice.config, "vad_events", s.vadEvents);
  readConfig(choice.config, "endpointing", s.endpointingMs);
  readConfig(choice.config, "utterance_end_ms", s.utteranceEndMs);
  readConfig(choice.config, "keyword_boost", s.keywordBoost);
  return std::make_unique<voice::DeepgramSttService>(context.io, std::move(s), context.usage);
}

// SARVAM_BASE_URL (and a team's Sarvam base URL) also serve the chat model,
// whose base ends in /v1; the speech endpoints sit at the root beside it.
void sarvamSpeechRoot(Endpoint& e) {
  if (e.baseUrl.ends_with("/v1")) e.baseUrl.resize(e.baseUrl.size() - 3);
}

// Sarvam: streaming over its WebSocket unless `config.streaming` is false,
// then one POST /speech-to-text per utterance. `config.mode` is Sarvam's
// (saaras:v3: transcribe|translate|verbatim|translit|codemix).
ServiceChoice<voice::SttService> sarvamStt(const agent_config::ProviderChoice& choice,
                                           const SpeechServiceContext& context) {
  ServiceChoice<voice::SttService> out;
  out.provider = "sarvam";
  Endpoint e;
  if (!endpointFor({"stt", "sarvam", "https://api.sarvam.ai", "SARVAM", true, ""}, choice, context, out, e)) return out;
  sarvamSpeechRoot(e);
  bool streaming = true;
  std::string mode = "transcribe";
  readConfig(choice.config, "streaming", streaming);
  readConfig(choice.config, "mode", mode);
  static const std::vector<std::string> kModes = {"transcribe", "translate", "verbatim", "translit", "codemix"};
  if (std::find(kModes.begin(), kModes.end(), mode) == kModes.end()) {
    out.error = "stt.config.mode '" + mode +
                "' is not one of Sarvam's (transcribe, translate, verbatim, translit, "
                "codemix)";
    out.endReason = "invalid_agent_config";
    return out;
  }
  const auto tag = voice::sarvamLanguageCode(choice.language);
  if (!tag) {
    out.error = "stt provider 'sarvam' does not transcribe '" + choice.language +
                "' (bn, en, gu, hi, kn, ml, mr, od, pa, ta, te, as xx-IN)";
    out.endReason = "invalid_agent_config";
    return out;
  }
  const std::string language = tag->empty() ? "unknown" : *tag;  // unknown: Sarvam detects it
  if (!streaming) {
    voice::OpenAiTranscriptionSettings s;
    s.dialect = voice::TranscriptionDialect::kSarvam;
    s.baseUrl = e.baseUrl;
    s.path = "/speech-to-text";
    s.apiKey = e.apiKey;
    s.publicAddressesOnly = e.publicOnly;
    s.provider = "sarvam";
    s.model = choice.model.empty() ? "saarika:v2.5" : choice.model;
    s.language = language;
    s.mode = mode;
    out.service = std::make_unique<voice::OpenAiTranscriptionService>(context.io, std::move(s), context.usage);
    return out;
  }
  voice::SarvamSttSettings s;
  s.baseUrl = webSocketUrl(e.baseUrl);
  s.apiKey = e.apiKey;
  s.publicAddressesOnly = e.publicOnly;
  if (!choice.model.empty()) s.model = choice.model;
  s.language = language;
  s.mode = mode;
  if (const auto* v = choice.config.if_contains("vad_signals"); v && v->is_bool()) s.vadSignals = v->get_bool();
  if (const auto* v = choice.config.if_contains("high_vad_sensitivity"); v && v->is_bool())
    s.highVadSensitivity = v->get_bool();
  out.service = std::make_unique<voice::SarvamSttService>(context.io, std::move(s), context.usage);
  return out;
}

// The OpenAI-compatible transcription servers this worker knows.
struct HttpSpeechProvider {
  const char* name;
  const char* defaultBaseUrl;  // "" = the document or the worker names one
  const char* envPrefix;
  bool cloud;
  const char* model;  // default; "" = not sent
  const char* path;
  const char* voice;  // TTS default
  int sampleRate;     // TTS pcm rate
};

constexpr HttpSpeechProvider kTranscription[] = {
    {"openai", "https://api.openai.com/v1", "OPENAI", true, "whisper-1", "/audio/transcriptions", "", 0},
    {"groq", "https://api.groq.com/openai/v1", "GROQ", true, "whisper-large-v3-turbo", "/audio/transcriptions", "", 0},
    {"whisper.cpp", "http://127.0.0.1:8080", "WHISPER_CPP", false, "", "/inference", "", 0},
    {"speaches", "http://127.0.0.1:8000/v1", "SPEACHES", false, "Systran/faster-whisper-small", "/audio/transcriptions",
     "", 0},
    {"openai-compatible", "", "OPENAI", false, "whisper-1", "/audio/transcriptions", "", 0},
};

constexpr HttpSpeechProvider kSpeech[] = {
    {"openai", "https://api.openai.com/v1", "OPENAI", true, "tts-1", "", "alloy", 24000},
    {"kokoro", "http://127.0.0.1:8880/v1", "KOKORO", false, "kokoro", "", "af_heart", 24000},
    // openedai-speech's tts-1 (piper) speaks at 22.05 kHz, its tts-1-hd (XTTS) at 24 kHz.
    {"openedai-speech", "http://127.0.0.1:8000/v1", "OPENEDAI_SPEECH", false, "tts-1", "", "alloy", 22050},
    {"openai-compatible", "", "OPENAI", false, "tts-1", "", "alloy", 24000},
};

template <size_t N>
const HttpSpeechProvider* findHttpProvider(const HttpSpeechProvider (&table)[N], const std::string& name) {
  for (const auto& p : table) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

// --- one provider ------------------------------------------------------------

ServiceChoice<voice::SttService> oneStt(const agent_config::AgentSettings& agent,
                                        const agent_config::ProviderChoice& choice,
                                        const SpeechServiceContext& context) {
  ServiceChoice<voice::SttService> out;
  out.provider = choice.provider.empty() ? "pocketsphinx" : choice.provider;
  if (isLocalSttProvider(choice.provider)) {
    auto copy = agent;
    copy.stt = choice;
    out.service = makeLocalStt(copy, {context.pool, context.post, context.usage, context.onUnavailable});
    return out;
  }
  Endpoint e;
  if (choice.provider == "deepgram") {
    if (!endpointFor({"stt", "deepgram", "https://api.deepgram.com/v1", "DEEPGRAM", true, ""}, choice, context, out,
                     e)) {
      return out;
    }
    out.service = deepgramStt(agent, choice, e, context);
    return out;
  }
  if (choice.provider == "sarvam") return sarvamStt(choice, context);
  if (const auto* p = findHttpProvider(kTranscription, choice.provider)) {
    if (!endpointFor({"stt", p->name, p->defaultBaseUrl, p->envPrefix, p->cloud, ""}, choice, context, out, e))
      return out;
    voice::OpenAiTranscriptionSettings s;
    s.baseUrl = e.baseUrl;
    s.apiKey = e.apiKey;
    s.publicAddressesOnly = e.publicOnly;
    s.provider = p->name;
    s.path = p->path;
    s.model = choice.model.empty() ? p->model : choice.model;
    s.language = choice.language;
    s.keywords = agent.keywords;
    readConfig(choice.config, "path", s.path);
    // The path is appended to a base URL that was trusted by its origin: it
    // must not change the origin ("@host", "//host", "?", "#").
    const bool plainPath = s.path.size() > 1 && s.path.size() <= 200 && s.path[0] == '/' && s.path[1] != '/' &&
                           std::all_of(s.path.begin(), s.path.end(), [](unsigned char c) {
                             return std::isalnum(c) || c == '/' || c == '_' || c == '.' || c == '-';
                           });
    if (!plainPath) {
      out.error = "stt.config.path must be a plain path such as /inference (letters, digits, '/', '_', '.', '-')";
      out.endReason = "invalid_agent_config";
      return out;
    }
    readConfig(choice.config, "verbose_json", s.verboseJson);
    readConfig(choice.config, "stream", s.stream);
    out.service = std::make_unique<voice::OpenAiTranscriptionService>(context.io, std::move(s), context.usage);
    return out;
  }
  out.endReason = "provider_unavailable";
  out.error = "stt provider '" + choice.provider +
              "' is not supported by this worker (it serves deepgram, sarvam, openai, groq, whisper.cpp, speaches, "
              "openai-compatible, pocketsphinx, " +
              voice::kTestProvider + ")";
  return out;
}

// Sarvam's bulbul: the socket by default, REST with `"streaming": false`.
ServiceChoice<voice::TtsService> sarvamTts(const agent_config::AgentSettings& agent,
                                           const agent_config::ProviderChoice& choice,
                                           const SpeechServiceContext& context) {
  ServiceChoice<voice::TtsService> out;
  out.provider = choice.provider;
  Endpoint e;
  if (!endpointFor({"tts", "sarvam", "https://api.sarvam.ai", "SARVAM", true, ""}, choice, context, out, e)) return out;
  sarvamSpeechRoot(e);
  auto language = voice::sarvamLanguageCode(choice.language);
  if (language && language->empty()) language = "hi-IN";
  if (!language) {
    out.error = "tts provider 'sarvam' does not speak '" + choice.language +
                "' (bn, en, gu, hi, kn, ml, mr, od, pa, ta, te, as xx-IN)";
    out.endReason = "invalid_agent_config";
    return out;
  }
  // As for Sarvam STT: the socket unless `config.streaming` is false.
  bool streaming = true;
  readConfig(choice.config, "streaming", streaming);
  voice::SarvamTtsSettings s;
  s.apiKey = e.apiKey;
  s.publicAddressesOnly = e.publicOnly;
  s.language = *language;
  if (!choice.model.empty()) s.model = choice.model;
  s.speaker = choice.voice;   // "" = the model's default speaker
  s.pace = agent.voiceSpeed;  // clamped to the model's range by the client
  std::optional<int> rate;
  readConfig(choice.config, "sample_rate", rate);
  if (rate) s.sampleRate = *rate;
  if (!streaming) {
    s.baseUrl = e.baseUrl;
    out.service = std::make_unique<voice::SarvamRestTtsService>(context.io, std::move(s), context.usage);
  } else {
    s.baseUrl = webSocketUrl(e.baseUrl);
    out.service = std::make_unique<voice::SarvamTtsService>(context.io, std::move(s), context.usage);
  }
  return out;
}

ServiceChoice<voice::TtsService> oneTts(const agent_config::AgentSettings& agent,
                                        const agent_config::ProviderChoice& choice,
                                        const SpeechServiceContext& context) {
  ServiceChoice<voice::TtsService> out;
  out.provider = choice.provider.empty() ? "espeak-ng" : choice.provider;
  if (isLocalTtsProvider(choice.provider)) {
    auto copy = agent;
    copy.tts = choice;
    out.service = makeLocalTts(copy, {context.pool, context.post, context.usage, context.onUnavailable});
    return out;
  }
  Endpoint e;
  if (choice.provider == "elevenlabs") {
    if (!endpointFor({"tts", "elevenlabs", "https://api.elevenlabs.io", "ELEVENLABS", true, ""}, choice, context, out,
                     e)) {
      return out;
    }
    if (choice.voice.empty()) {
      out.error = "tts provider 'elevenlabs' needs tts.voice (an ElevenLabs voice id)";
      out.endReason = "invalid_agent_config";
      return out;
    }
    voice::ElevenLabsTtsSettings s;
    s.baseUrl = webSocketUrl(e.baseUrl);
    s.apiKey = e.apiKey;
    s.publicAddressesOnly = e.publicOnly;
    s.voiceId = choice.voice;
    if (!choice.model.empty()) s.modelId = choice.model;
    // The seed's voice settings: output_format pcm_16000 asks for 16 kHz;
    // anything else is served at 24 kHz pcm (resampled to 48 kHz for Opus).
    s.sampleRate = agent.voiceOutputFormat == "pcm_16000" ? 16000 : 24000;
    if (agent.voiceStability) s.stability = *agent.voiceStability;
    if (agent.voiceSimilarity) s.similarityBoost = *agent.voiceSimilarity;
    s.speed = std::clamp(agent.voiceSpeed, 0.7, 1.2);  // ElevenLabs' range
    readConfig(choice.config, "style", s.style);
    readConfig(choice.config, "use_speaker_boost", s.useSpeakerBoost);
    out.service = std::make_unique<voice::ElevenLabsTtsService>(context.io, std::move(s), context.usage);
    return out;
  }
  if (choice.provider == "deepgram") {
    if (!endpointFor({"tts", "deepgram", "https://api.deepgram.com/v1", "DEEPGRAM", true, ""}, choice, context, out,
                     e)) {
      return out;
    }
    voice::DeepgramTtsSettings s;
    s.baseUrl = webSocketUrl(e.baseUrl);
    s.apiKey = e.apiKey;
    s.publicAddressesOnly = e.publicOnly;
    // Aura names a voice by its model ("aura-2-thalia-en").
    if (!choice.voice.empty()) s.model = choice.voice;
    if (!choice.model.empty()) s.model = choice.model;
    out.service = std::make_unique<voice::DeepgramTtsService>(context.io, std::move(s), context.usage);
    return out;
  }
  if (choice.provider == "sarvam") return sarvamTts(agent, choice, context);
  if (const auto* p = findHttpProvider(kSpeech, choice.provider)) {
    if (!endpointFor({"tts", p->name, p->defaultBaseUrl, p->envPrefix, p->cloud, ""}, choice, context, out, e))
      return out;
    voice::OpenAiSpeechSettings s;
    s.baseUrl = e.baseUrl;
    s.apiKey = e.apiKey;
    s.publicAddressesOnly = e.publicOnly;
    s.provider = p->name;
    s.model = choice.model.empty() ? p->model : choice.model;
    s.voice = choice.voice.empty() ? p->voice : choice.voice;
    s.speed = std::clamp(agent.voiceSpeed, 0.25, 4.0);
    s.sampleRate = p->sampleRate;
    if (choice.provider == "openedai-speech" && s.model == "tts-1-hd") s.sampleRate = 24000;
    int rate = 0;
    if (const auto* v = choice.config.if_contains("sample_rate"); v && v->is_int64())
      rate = static_cast<int>(v->get_int64());
    if (rate >= 8000 && rate <= 48000) s.sampleRate = rate;
    readConfig(choice.config, "instructions", s.instructions);
    out.service = std::make_unique<voice::OpenAiSpeechService>(context.io, std::move(s), context.usage);
    return out;
  }
  out.endReason = "provider_unavailable";
  out.error = "tts provider '" + choice.provider +
              "' is not supported by this worker (it serves elevenlabs, deepgram, sarvam, openai, kokoro, "
              "openedai-speech, openai-compatible, espeak-ng, " +
              voice::kTestProvider + ")";
  return out;
}

// --- the stage: its provider and fallbacks -----------------------------------

template <class Service, class MakeFallback>
ServiceChoice<Service> stage(const char* name, const agent_config::AgentSettings& agent,
                             const agent_config::ProviderChoice& primary, const SpeechServiceContext& context,
                             Maker<Service> make, MakeFallback makeFallback) {
  if (primary.fallbacks.empty()) return make(agent, primary, context);
  // In a cascade an offline engine that cannot load fails its own requests
  // (the next provider takes them), not the call.
  auto inCascade = context;
  inCascade.onUnavailable = nullptr;
  std::vector<ServiceChoice<Service>> candidates;
  candidates.reserve(1 + primary.fallbacks.size());
  candidates.push_back(make(agent, primary, inCascade));
  for (const auto& f : primary.fallbacks) candidates.push_back(make(agent, f, inCascade));
  return makeCascade(name, std::move(candidates), &ServiceChoice<Service>::service,
                     [&](std::vector<ServiceChoice<Service>> members) {
                       std::vector<std::unique_ptr<Service>> services;
                       services.reserve(members.size());
                       for (auto& m : members) services.push_back(std::move(m.service));
                       voice::ServiceFallbackSettings settings;
                       settings.onEvent = [onEvent = context.onEvent, name](const voice::ProviderSwitch& s) {
                         if (onEvent) onEvent({name, s.provider, s.event, s.reason, s.to});
                       };
                       return makeFallback(context.io, std::move(services), std::move(settings));
                     });
}

}  // namespace

ServiceChoice<voice::SttService> makeSttService(const agent_config::AgentSettings& agent,
                                                const SpeechServiceContext& context) {
  return stage<voice::SttService>("stt", agent, agent.stt, context, &oneStt, voice::makeFallbackSttService);
}

ServiceChoice<voice::TtsService> makeTtsService(const agent_config::AgentSettings& agent,
                                                const SpeechServiceContext& context) {
  return stage<voice::TtsService>("tts", agent, agent.tts, context, &oneTts, voice::makeFallbackTtsService);
}

}  // namespace convox::worker

#include "local_services.hpp"

#include "voice/dialog_engine.hpp"
#include "voice/espeak_synthesizer.hpp"
#include "voice/pocketsphinx_recognizer.hpp"
#include "voice/pool_services.hpp"
#include "voice/test_providers.hpp"

#include <algorithm>
#include <cctype>

namespace convox::worker {

namespace {

// espeak-ng speaks what the agent names when it is an espeak voice; the
// offline default (no provider) speaks the language's default voice.
std::string espeakVoice(const agent_config::ProviderChoice& tts, const std::string& language) {
  if ((tts.provider.empty() || tts.provider == "espeak" || tts.provider == "espeak-ng") && !tts.voice.empty()) {
    return tts.voice;
  }
  std::string lang = tts.language.empty() ? language : tts.language;
  std::transform(lang.begin(), lang.end(), lang.begin(), [](unsigned char c) { return std::tolower(c); });
  return lang.empty() ? "en-us" : lang;
}

voice::PoolServiceSettings poolSettings(const LocalServiceContext& c, std::string provider, std::string model) {
  return {std::move(provider), std::move(model), c.post, c.usage, c.onUnavailable};
}

}  // namespace

bool isLocalSttProvider(const std::string& p) { return p.empty() || p == "pocketsphinx" || p == voice::kTestProvider; }

bool isLocalTtsProvider(const std::string& p) {
  return p.empty() || p == "espeak" || p == "espeak-ng" || p == voice::kTestProvider;
}

std::unique_ptr<voice::SttService> makeLocalStt(const agent_config::AgentSettings& settings,
                                                const LocalServiceContext& context) {
  if (settings.stt.provider == voice::kTestProvider) {
    auto transcript = voice::testProviderText(settings.stt, "transcript", "i would like to book an appointment");
    return voice::makePoolSttService(
        context.pool,
        [transcript](std::string&) -> std::unique_ptr<voice::SpeechToText> {
          return voice::makeTestRecognizer(transcript);
        },
        poolSettings(context, voice::kTestProvider, "test"));
  }
  voice::PocketSphinxSettings stt;
  stt.phrases = voice::recognizerPhrases(settings);
  return voice::makePoolSttService(
      context.pool,
      [stt](std::string& error) -> std::unique_ptr<voice::SpeechToText> {
        return voice::PocketSphinxRecognizer::create(stt, error);
      },
      poolSettings(context, "pocketsphinx", "en-us"));
}

std::unique_ptr<voice::TtsService> makeLocalTts(const agent_config::AgentSettings& settings,
                                                const LocalServiceContext& context) {
  if (settings.tts.provider == voice::kTestProvider) {
    return voice::makePoolTtsService(
        context.pool, [](std::string&) -> std::unique_ptr<voice::TextToSpeech> { return voice::makeTestSynthesizer(); },
        poolSettings(context, voice::kTestProvider, "tone"));
  }
  voice::EspeakSettings tts;
  tts.voice = espeakVoice(settings.tts, settings.language);
  tts.rate = std::clamp(static_cast<int>(175 * settings.voiceSpeed), 80, 450);
  return voice::makePoolTtsService(
      context.pool,
      [tts](std::string& error) -> std::unique_ptr<voice::TextToSpeech> {
        auto synth = voice::EspeakSynthesizer::create(tts, error);
        if (synth) return synth;
        // A voice this espeak-ng does not have: its default English voice.
        auto fallback = tts;
        fallback.voice = "en-us";
        return voice::EspeakSynthesizer::create(fallback, error);
      },
      poolSettings(context, "espeak-ng", tts.voice));
}

}  // namespace convox::worker

// Which speech services an agent document gets: the offline engines for
// the local providers, a clear failure for what this worker cannot serve,
// and a cascade of what it can from a `fallback` list. Also where a network
// provider is reached and with which key (provider_endpoint).
#include "speech_service_factory.hpp"
#include "provider_endpoint.hpp"
#include "voice/openai_transcription_service.hpp"
#include "voice/sarvam_stt_service.hpp"
#include "voice/sarvam_tts_service.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace convox::worker {
namespace {

agent_config::AgentSettings settingsOf(const std::string& text) {
  auto parsed = agent_config::settingsFromDocument(boost::json::parse(text));
  EXPECT_TRUE(parsed.settings) << parsed.error;
  return parsed.settings ? *parsed.settings : agent_config::AgentSettings{};
}

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class SpeechServiceFactoryTest : public ::testing::Test {
 protected:
  voice::ComputePool pool_{1, 8};
  boost::asio::io_context io_;
  std::vector<ProviderEvent> events_;
  SpeechServiceContext context(EnvLookup env = envOf({})) {
    return {pool_,
            [](voice::ComputePool::Task) {},
            io_,
            {},
            [this](const ProviderEvent& e) { events_.push_back(e); },
            {},
            std::move(env)};
  }
};

TEST_F(SpeechServiceFactoryTest, LocalProvidersGetTheOfflineEngines) {
  for (const char* doc : {R"({"name": "a"})", R"({"name": "a", "stt": {"provider": "pocketsphinx"},
                                                  "tts": {"provider": "espeak-ng", "voice": "en-gb"}})"}) {
    auto stt = makeSttService(settingsOf(doc), context());
    ASSERT_TRUE(stt.service) << stt.error;
    EXPECT_EQ(stt.service->provider(), "pocketsphinx");
    auto tts = makeTtsService(settingsOf(doc), context());
    ASSERT_TRUE(tts.service) << tts.error;
    EXPECT_EQ(tts.service->provider(), "espeak-ng");
  }
}

TEST_F(SpeechServiceFactoryTest, AProviderThisWorkerCannotServeFailsWithTheReason) {
  auto stt = makeSttService(settingsOf(R"({"name": "a", "stt": {"provider": "gnani"}})"), context());
  EXPECT_FALSE(stt.service);
  EXPECT_EQ(stt.endReason, "provider_unavailable");
  EXPECT_NE(stt.error.find("stt provider 'gnani' is not supported"), std::string::npos) << stt.error;
  auto tts = makeTtsService(settingsOf(R"({"name": "a", "tts": {"provider": "gnani"}})"), context());
  EXPECT_FALSE(tts.service);
  EXPECT_NE(tts.error.find("tts provider 'gnani'"), std::string::npos) << tts.error;
}

TEST_F(SpeechServiceFactoryTest, AFallbackListKeepsWhatCanBeServedInOrder) {
  auto tts = makeTtsService(settingsOf(R"({"name": "a", "tts": {"provider": "gnani",
      "fallback": [{"provider": "espeak-ng"}, {"provider": "convox-test"}]}})"),
                            context());
  ASSERT_TRUE(tts.service) << tts.error;
  EXPECT_EQ(tts.provider, "espeak-ng -> convox-test");
  EXPECT_EQ(tts.service->provider(), "espeak-ng");
  // Nothing servable: the primary's reason.
  auto none = makeSttService(
      settingsOf(R"({"name": "a", "stt": {"provider": "gnani", "fallback": [{"provider": "x"}]}})"), context());
  EXPECT_FALSE(none.service);
  EXPECT_NE(none.error.find("'gnani'"), std::string::npos) << none.error;
}

EndpointSpec deepgram() { return {"stt", "deepgram", "https://api.deepgram.com", "DEEPGRAM", true, ""}; }

TEST(ProviderEndpoint, TheWorkersKeyGoesToTheProviderAndTheWorkersOwnBaseUrlOnly) {
  EndpointError error;
  auto e = resolveEndpoint(deepgram(), {}, envOf({{"DEEPGRAM_API_KEY", "dg-key"}}), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->baseUrl, "https://api.deepgram.com");
  EXPECT_EQ(e->apiKey, "dg-key");
  EXPECT_FALSE(e->publicOnly);

  // A document's base_url elsewhere: no key, public addresses only.
  boost::json::object config{{"base_url", "https://stt.example.com/"}};
  e = resolveEndpoint(deepgram(), config, envOf({{"DEEPGRAM_API_KEY", "dg-key"}}), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->baseUrl, "https://stt.example.com");
  EXPECT_EQ(e->apiKey, "");
  EXPECT_TRUE(e->publicOnly);

  // ... unless the operator lists its origin.
  e = resolveEndpoint(
      deepgram(), config,
      envOf({{"DEEPGRAM_API_KEY", "dg-key"}, {"CONVOX_PROVIDER_KEY_ORIGINS", "https://stt.example.com"}}), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->apiKey, "dg-key");
  EXPECT_FALSE(e->publicOnly);
}

TEST(ProviderEndpoint, PrivateDocumentUrlsAndMissingKeysAreRefusedWithTheirReason) {
  EndpointError error;
  EXPECT_FALSE(resolveEndpoint(deepgram(), {{"base_url", "http://169.254.169.254"}}, envOf({}), error));
  EXPECT_EQ(error.endReason, "provider_unavailable");
  EXPECT_NE(error.error.find("link-local"), std::string::npos) << error.error;
  EXPECT_FALSE(resolveEndpoint(deepgram(), {}, envOf({}), error));
  EXPECT_NE(error.error.find("no DEEPGRAM_API_KEY"), std::string::npos) << error.error;
  EXPECT_FALSE(resolveEndpoint(deepgram(), {{"base_url", "ftp://x"}}, envOf({}), error));
  EXPECT_EQ(error.endReason, "invalid_agent_config");
  // The worker's own base URL is trusted with the key and with a private address.
  auto e = resolveEndpoint(deepgram(), {},
                           envOf({{"DEEPGRAM_API_KEY", "k"}, {"DEEPGRAM_BASE_URL", "http://10.1.2.3:8080"}}), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->apiKey, "k");
  EXPECT_FALSE(e->publicOnly);
}

TEST_F(SpeechServiceFactoryTest, NetworkProvidersGetTheirClientsWithTheirKeysOrFailWithTheReason) {
  const auto keys = envOf({{"DEEPGRAM_API_KEY", "dg"}, {"ELEVENLABS_API_KEY", "el"}, {"OPENAI_API_KEY", "sk"}});
  const std::pair<const char*, const char*> stt[] = {
      {"deepgram", "deepgram"}, {"openai", "openai"}, {"whisper.cpp", "whisper.cpp"}};
  for (const auto& [provider, served] : stt) {
    auto c = makeSttService(settingsOf(std::string(R"({"name": "a", "stt": {"provider": ")") + provider + R"("}})"),
                            context(keys));
    ASSERT_TRUE(c.service) << provider << ": " << c.error;
    EXPECT_EQ(c.service->provider(), served);
  }
  for (const char* doc :
       {R"({"name": "a", "tts": {"provider": "elevenlabs", "voice": "v1"}})",
        R"({"name": "a", "tts": {"provider": "openai", "voice": "alloy"}})",
        R"({"name": "a", "tts": {"provider": "deepgram"}})", R"({"name": "a", "tts": {"provider": "kokoro"}})"}) {
    auto c = makeTtsService(settingsOf(doc), context(keys));
    EXPECT_TRUE(c.service) << doc << ": " << c.error;
  }
  auto noVoice = makeTtsService(settingsOf(R"({"name": "a", "tts": {"provider": "elevenlabs"}})"), context(keys));
  EXPECT_FALSE(noVoice.service);
  EXPECT_EQ(noVoice.endReason, "invalid_agent_config");
  auto noKey = makeSttService(settingsOf(R"({"name": "a", "stt": {"provider": "deepgram"}})"), context());
  EXPECT_FALSE(noKey.service);
  EXPECT_EQ(noKey.endReason, "provider_unavailable");
  EXPECT_NE(noKey.error.find("DEEPGRAM_API_KEY"), std::string::npos) << noKey.error;
}

TEST_F(SpeechServiceFactoryTest, SarvamSttStreamsByDefaultAndPostsWhenStreamingIsOff) {
  const auto keys = envOf({{"SARVAM_API_KEY", "sv"}});
  auto ws = makeSttService(settingsOf(R"({"name": "a", "language": "hi-IN", "stt": {"provider": "sarvam",
      "config": {"vad_signals": true}}})"),
                           context(keys));
  ASSERT_TRUE(ws.service) << ws.error;
  EXPECT_EQ(ws.service->provider(), "sarvam");
  const auto* streaming = dynamic_cast<voice::SarvamSttService*>(ws.service.get());
  ASSERT_NE(streaming, nullptr);
  EXPECT_EQ(streaming->streamUrl(),
            "wss://api.sarvam.ai/speech-to-text/ws?language-code=hi-IN&model=saaras%3Av3&mode=transcribe"
            "&sample_rate=16000&input_audio_codec=pcm_s16le&flush_signal=true&vad_signals=true");

  // The chat model's SARVAM_BASE_URL (with /v1) serves speech at its root;
  // the agent's default en-US is Sarvam's en-IN.
  auto rest =
      makeSttService(settingsOf(R"({"name": "a", "stt": {"provider": "sarvam", "model": "saaras:v3",
      "config": {"streaming": false, "mode": "translate"}}})"),
                     context(envOf({{"SARVAM_API_KEY", "sv"}, {"SARVAM_BASE_URL", "http://10.0.0.7:9000/v1"}})));
  ASSERT_TRUE(rest.service) << rest.error;
  EXPECT_EQ(rest.service->provider(), "sarvam");
  EXPECT_NE(dynamic_cast<voice::OpenAiTranscriptionService*>(rest.service.get()), nullptr);
  auto viaEnv =
      makeSttService(settingsOf(R"({"name": "a", "stt": {"provider": "sarvam"}})"),
                     context(envOf({{"SARVAM_API_KEY", "sv"}, {"SARVAM_BASE_URL", "http://10.0.0.7:9000/v1"}})));
  const auto* envStreaming = dynamic_cast<voice::SarvamSttService*>(viaEnv.service.get());
  ASSERT_NE(envStreaming, nullptr);
  EXPECT_TRUE(envStreaming->streamUrl().starts_with("ws://10.0.0.7:9000/speech-to-text/ws?language-code=en-IN&"))
      << envStreaming->streamUrl();

  auto badMode = makeSttService(
      settingsOf(R"({"name": "a", "stt": {"provider": "sarvam", "config": {"mode": "sing"}}})"), context(keys));
  EXPECT_FALSE(badMode.service);
  EXPECT_EQ(badMode.endReason, "invalid_agent_config");
  EXPECT_NE(badMode.error.find("stt.config.mode 'sing'"), std::string::npos) << badMode.error;
  auto noKey = makeSttService(settingsOf(R"({"name": "a", "stt": {"provider": "sarvam"}})"), context());
  EXPECT_FALSE(noKey.service);
  EXPECT_EQ(noKey.endReason, "provider_unavailable");
  EXPECT_NE(noKey.error.find("SARVAM_API_KEY"), std::string::npos) << noKey.error;
}

EnvLookup teamOver(std::map<std::string, std::string> worker,
                   const std::map<std::string, TeamProviderCredential>& team) {
  return withTeamCredentials(envOf(std::move(worker)), team);
}

TEST(ProviderEndpoint, ATeamsKeyAnswersBeforeTheWorkersAndGoesToTheTeamsOwnBaseUrl) {
  EndpointError error;
  // The team's key at the provider's endpoint, before the worker's.
  auto e =
      resolveEndpoint(deepgram(), {}, teamOver({{"DEEPGRAM_API_KEY", "worker"}}, {{"deepgram", {"team", ""}}}), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->apiKey, "team");
  EXPECT_EQ(e->baseUrl, "https://api.deepgram.com");
  // The team's base URL: its key goes there, public addresses only.
  e = resolveEndpoint(
      deepgram(), {},
      teamOver({{"DEEPGRAM_API_KEY", "worker"}}, {{"deepgram", {"team", "https://dg-proxy.example.com/v1"}}}), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->baseUrl, "https://dg-proxy.example.com/v1");
  EXPECT_EQ(e->apiKey, "team");
  EXPECT_TRUE(e->publicOnly);
  // A team URL without a team key does not collect the operator's key.
  e = resolveEndpoint(deepgram(), {},
                      teamOver({{"DEEPGRAM_API_KEY", "worker"}}, {{"deepgram", {"", "https://dg-proxy.example.com"}}}),
                      error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->apiKey, "");
  // Nor does an agent document collect the team's key: its base_url comes first, keyless.
  e = resolveEndpoint(deepgram(), {{"base_url", "https://elsewhere.example.com"}},
                      teamOver({}, {{"deepgram", {"team", "https://dg-proxy.example.com"}}}), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->baseUrl, "https://elsewhere.example.com");
  EXPECT_EQ(e->apiKey, "");
  // A team's private URL needs the operator's word.
  const std::map<std::string, TeamProviderCredential> privateOllama{{"ollama", {"", "http://10.0.0.5:11434/v1"}}};
  const EndpointSpec ollama{"llm", "ollama", "http://127.0.0.1:11434/v1", "OLLAMA", false, ""};
  EXPECT_FALSE(resolveEndpoint(ollama, {}, teamOver({}, privateOllama), error));
  EXPECT_NE(error.error.find("the team's ollama base_url"), std::string::npos) << error.error;
  EXPECT_NE(error.error.find("private"), std::string::npos) << error.error;
  e = resolveEndpoint(ollama, {}, teamOver({{"OLLAMA_KEY_ORIGINS", "http://10.0.0.5:11434"}}, privateOllama), error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_FALSE(e->publicOnly);
  // The names no environment variable has are not read through to the worker's environment.
  const auto env = teamOver({{"team:OPENAI_API_KEY", "planted"}}, {{"deepgram", {"team", ""}}});
  EXPECT_EQ(env("team:OPENAI_API_KEY"), std::nullopt);
  EXPECT_EQ(credentialPrefix("openedai-speech"), "OPENEDAI_SPEECH");
  EXPECT_EQ(credentialPrefix("google"), "GEMINI");
}

TEST(ProviderEndpoint, AProvidersOwnOriginListTrustsThatProvidersKeysOnly) {
  EndpointError error;
  const boost::json::object config{{"base_url", "https://gateway.example.com/v1"}};
  const auto env = envOf(
      {{"DEEPGRAM_API_KEY", "dg"}, {"OPENAI_API_KEY", "sk"}, {"DEEPGRAM_KEY_ORIGINS", "https://gateway.example.com"}});
  auto e = resolveEndpoint(deepgram(), config, env, error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->apiKey, "dg");
  EXPECT_FALSE(e->publicOnly);
  e = resolveEndpoint({"stt", "openai", "https://api.openai.com/v1", "OPENAI", true, ""}, config, env, error);
  ASSERT_TRUE(e) << error.error;
  EXPECT_EQ(e->apiKey, "") << "OpenAI's key is not trusted at an origin listed for Deepgram";
  EXPECT_TRUE(e->publicOnly);
}

// Review of issue 14: a document's transcription path is appended to a
// trusted base URL and must not move the request (and the key) elsewhere.
TEST_F(SpeechServiceFactoryTest, ATranscriptionPathThatWouldChangeTheHostIsRefused) {
  for (const char* path : {"@attacker.example/x", "//attacker.example/x", "/x?y=1", "/x#y", "/a b"}) {
    auto c = makeSttService(
        settingsOf(std::string(R"({"name": "a", "stt": {"provider": "whisper.cpp", "config": {"path": ")") + path +
                   R"("}}})"),
        context());
    EXPECT_FALSE(c.service) << path;
    EXPECT_EQ(c.endReason, "invalid_agent_config") << path;
  }
  auto ok = makeSttService(
      settingsOf(
          R"({"name": "a", "stt": {"provider": "whisper.cpp", "config": {"path": "/v1/audio/transcriptions"}}})"),
      context());
  EXPECT_TRUE(ok.service) << ok.error;
}

// Issue 14: Sarvam's bulbul, streamed by default, REST on request; the
// agent's voice and language mapped to Sarvam's speaker and codes.
TEST_F(SpeechServiceFactoryTest, SarvamTtsGetsItsSocketOrRestClientWithTheAgentsVoice) {
  const auto keys = envOf({{"SARVAM_API_KEY", "sk-sarvam"}});
  auto streamed = makeTtsService(settingsOf(R"({"name": "a", "language": "en-US", "voice": {"speed": 2.5},
                                                "tts": {"provider": "sarvam", "voice": "anand"}})"),
                                 context(keys));
  ASSERT_TRUE(streamed.service) << streamed.error;
  EXPECT_EQ(streamed.service->provider(), "sarvam");
  const auto* socket = dynamic_cast<voice::SarvamTtsService*>(streamed.service.get());
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->socketUrl(), "wss://api.sarvam.ai/text-to-speech/ws?model=bulbul%3Av3&send_completion_event=true");
  const auto config = boost::json::parse(socket->configMessage()).at("data").as_object();
  EXPECT_EQ(config.at("speaker"), "anand");
  EXPECT_EQ(config.at("target_language_code"), "en-IN");
  EXPECT_EQ(config.at("pace").as_double(), 2.0);  // bulbul:v3's most

  auto rest =
      makeTtsService(settingsOf(R"({"name": "a", "tts": {"provider": "sarvam", "model": "bulbul:v2",
                                            "language": "hi-IN", "config": {"streaming": false, "sample_rate": 22050}}})"),
                     context(envOf({{"SARVAM_API_KEY", "sv"}, {"SARVAM_BASE_URL", "https://api.sarvam.ai/v1"}})));
  ASSERT_TRUE(rest.service) << rest.error;
  const auto* http = dynamic_cast<voice::SarvamRestTtsService*>(rest.service.get());
  ASSERT_NE(http, nullptr);
  const auto body = boost::json::parse(http->requestBody("x")).as_object();
  EXPECT_EQ(body.at("model"), "bulbul:v2");
  EXPECT_EQ(body.at("speaker"), "anushka");
  EXPECT_EQ(body.at("target_language_code"), "hi-IN");
  EXPECT_EQ(body.at("speech_sample_rate"), 22050);
  EXPECT_EQ(http->requestUrl(), "https://api.sarvam.ai/text-to-speech")
      << "the chat model's /v1 is not the speech root";

  auto noKey = makeTtsService(settingsOf(R"({"name": "a", "tts": {"provider": "sarvam"}})"), context());
  EXPECT_FALSE(noKey.service);
  EXPECT_EQ(noKey.endReason, "provider_unavailable");
  EXPECT_NE(noKey.error.find("SARVAM_API_KEY"), std::string::npos) << noKey.error;
  for (const char* doc : {R"({"name": "a", "tts": {"provider": "sarvam", "language": "fr-FR"}})",
                          R"({"name": "a", "stt": {"provider": "sarvam", "language": "fr-FR"}})"}) {
    const auto settings = settingsOf(doc);
    auto bad = settings.stt.provider == "sarvam" ? makeSttService(settings, context(keys)).endReason
                                                 : makeTtsService(settings, context(keys)).endReason;
    EXPECT_EQ(bad, "invalid_agent_config") << doc;
  }
}

}  // namespace
}  // namespace convox::worker

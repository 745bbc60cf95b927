// Which language model an agent document gets, and with what settings: the
// base URL's order (document, worker environment, provider default), the
// key's (the worker's, and only to origins the operator chose), the system
// prompt rendered, and a clear failure for what this worker cannot serve.
#include "language_model_factory.hpp"

#include "voice/anthropic_chat_model.hpp"
#include "voice/gemini_chat_model.hpp"

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

const std::map<std::string, std::string> kParameters{{"customer_name", "Asha"}};

std::optional<voice::OpenAiChatSettings> chat(const std::string& doc, const EnvLookup& env, ModelChoice& choice) {
  return chatSettingsFor(settingsOf(doc), kParameters, env, choice);
}

TEST(LanguageModelFactory, DialogAgentsGetTheDialogEngine) {
  boost::asio::io_context io;
  for (const char* doc : {R"({"name": "a", "dialog": {"intents": [{"name": "hi", "keywords": ["hello"]}]}})",
                          R"({"name": "a", "llm": {"provider": "convox-dialog"}})"}) {
    auto choice = makeLanguageModel(settingsOf(doc), kParameters, io, {}, envOf({}));
    ASSERT_TRUE(choice.model) << doc << ": " << choice.error;
    EXPECT_NE(dynamic_cast<voice::DialogEngine*>(choice.model.get()), nullptr) << doc;
    EXPECT_EQ(choice.provider, "convox-dialog");
  }
}

TEST(LanguageModelFactory, OpenAiAgentGetsChatCompletionsWithTheDocumentsSettings) {
  boost::asio::io_context io;
  const std::string doc = R"({"name": "a", "llm": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.3,
      "max_tokens": 150, "system_prompt": "You call {{customer_name}}.",
      "config": {"base_url": "http://llm.example.com:9/v1/"}}})";
  auto choice = makeLanguageModel(settingsOf(doc), kParameters, io, {}, envOf({{"OPENAI_API_KEY", "sk-worker"}}));
  ASSERT_TRUE(choice.model) << choice.error;
  EXPECT_NE(dynamic_cast<voice::OpenAiChatModel*>(choice.model.get()), nullptr);

  ModelChoice c;
  const auto s = chat(doc, envOf({{"OPENAI_API_KEY", "sk-worker"}, {"OPENAI_BASE_URL", "http://10.0.0.1/v1"}}), c);
  ASSERT_TRUE(s) << c.error;
  EXPECT_EQ(s->baseUrl, "http://llm.example.com:9/v1");  // the document's wins over the worker's
  EXPECT_EQ(s->model, "gpt-4o-mini");
  EXPECT_EQ(s->temperature, 0.3);
  EXPECT_EQ(s->maxTokens, 150);
  EXPECT_EQ(s->systemPrompt, "You call Asha.");
  EXPECT_EQ(s->provider, "openai");
  // A document's own endpoint is not one the operator chose: no key there,
  // and only public addresses (checked when the name resolves).
  EXPECT_EQ(s->apiKey, "");
  EXPECT_TRUE(s->publicAddressesOnly);
}

TEST(LanguageModelFactory, TheKeyGoesOnlyToOriginsTheOperatorChose) {
  const std::string doc =
      R"({"name": "a", "llm": {"provider": "openai", "config": {"base_url": "http://127.0.0.1:9/v1"}}})";
  ModelChoice c;
  auto listed = chat(
      doc, envOf({{"OPENAI_API_KEY", "sk-worker"}, {"CONVOX_LLM_KEY_ORIGINS", "https://x.test, http://127.0.0.1:9/"}}),
      c);
  ASSERT_TRUE(listed) << c.error;
  EXPECT_EQ(listed->apiKey, "sk-worker");
  EXPECT_FALSE(listed->publicAddressesOnly);
  // Same host, another port: another origin (and a loopback one, refused).
  auto otherPort =
      chat(doc, envOf({{"OPENAI_API_KEY", "sk-worker"}, {"CONVOX_LLM_KEY_ORIGINS", "http://127.0.0.1:10"}}), c);
  ASSERT_FALSE(otherPort);
  EXPECT_EQ(c.endReason, "provider_unavailable");
  // The worker's own OPENAI_BASE_URL is trusted.
  auto sameAsWorker =
      chat(doc, envOf({{"OPENAI_API_KEY", "sk-worker"}, {"OPENAI_BASE_URL", "http://127.0.0.1:9/other"}}), c);
  ASSERT_TRUE(sameAsWorker);
  EXPECT_EQ(sameAsWorker->apiKey, "sk-worker");
  EXPECT_FALSE(sameAsWorker->publicAddressesOnly);
}

// Review item 8 (SSRF): any team writes agent documents; the worker must
// not POST for them to the cloud metadata endpoint, the control API on
// loopback or the operator's private network unless the operator trusts
// the origin.
TEST(LanguageModelFactory, ADocumentsBaseUrlMayNotReachNonPublicAddresses) {
  const auto docWith = [](const std::string& url) {
    return R"({"name": "a", "llm": {"provider": "openai-compatible", "config": {"base_url": ")" + url + R"("}}})";
  };
  for (const char* url : {"http://169.254.169.254/latest", "http://127.0.0.1:7880/v1", "http://[::1]:8080/v1",
                          "http://10.0.0.7:8080/v1", "http://192.168.1.2/v1"}) {
    ModelChoice c;
    EXPECT_FALSE(chat(docWith(url), envOf({{"OPENAI_API_KEY", "sk-worker"}}), c)) << url;
    EXPECT_EQ(c.endReason, "provider_unavailable") << url;
    EXPECT_NE(c.error.find("must be public"), std::string::npos) << url << ": " << c.error;
    EXPECT_EQ(c.error.find("sk-worker"), std::string::npos) << c.error;
  }
  // A public address or a name: allowed, its resolved addresses checked.
  for (const char* url : {"http://8.8.8.8/v1", "https://llm.example.com/v1"}) {
    ModelChoice c;
    const auto s = chat(docWith(url), envOf({}), c);
    ASSERT_TRUE(s) << url << ": " << c.error;
    EXPECT_TRUE(s->publicAddressesOnly) << url;
  }
  // Trusted origins are not restricted: the operator's CONVOX_LLM_KEY_ORIGINS,
  // the worker's <PREFIX>_BASE_URL, the provider's default (a local Ollama).
  ModelChoice c;
  auto listed =
      chat(docWith("http://10.0.0.7:8080/v1"), envOf({{"CONVOX_LLM_KEY_ORIGINS", "http://10.0.0.7:8080"}}), c);
  ASSERT_TRUE(listed) << c.error;
  EXPECT_FALSE(listed->publicAddressesOnly);
  auto worker = chat(docWith("http://10.0.0.7:8080/v2"), envOf({{"OPENAI_BASE_URL", "http://10.0.0.7:8080/v1"}}), c);
  ASSERT_TRUE(worker) << c.error;
  EXPECT_FALSE(worker->publicAddressesOnly);
  auto ollama =
      chat(R"({"name": "a", "llm": {"provider": "ollama", "config": {"base_url": "http://127.0.0.1:11434/v1"}}})",
           envOf({}), c);
  ASSERT_TRUE(ollama) << c.error;
  EXPECT_FALSE(ollama->publicAddressesOnly);
}

TEST(LanguageModelFactory, BaseUrlFromTheWorkerThenTheProviderDefault) {
  ModelChoice c;
  const std::string doc = R"({"name": "a", "llm": {"provider": "openai"}})";
  auto fromEnv = chat(doc, envOf({{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "http://10.1.2.3:8000/v1/"}}), c);
  ASSERT_TRUE(fromEnv) << c.error;
  EXPECT_EQ(fromEnv->baseUrl, "http://10.1.2.3:8000/v1");
  EXPECT_EQ(fromEnv->apiKey, "k");
  auto byDefault = chat(doc, envOf({{"OPENAI_API_KEY", "k"}}), c);
  ASSERT_TRUE(byDefault) << c.error;
  EXPECT_EQ(byDefault->baseUrl, "https://api.openai.com/v1");
  EXPECT_EQ(byDefault->apiKey, "k");
  auto groq = chat(R"({"name": "a", "llm": {"provider": "groq", "model": "llama-3.1-8b-instant"}})",
                   envOf({{"GROQ_API_KEY", "gsk"}, {"OPENAI_API_KEY", "not-this-one"}}), c);
  ASSERT_TRUE(groq) << c.error;
  EXPECT_EQ(groq->baseUrl, "https://api.groq.com/openai/v1");
  EXPECT_EQ(groq->apiKey, "gsk");
  auto ollama = chat(R"({"name": "a", "llm": {"provider": "ollama", "model": "llama3.2"}})", envOf({}), c);
  ASSERT_TRUE(ollama) << c.error;
  EXPECT_EQ(ollama->baseUrl, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(ollama->apiKey, "");
  // llm.base_url is the shorthand for llm.config.base_url.
  auto shorthand = chat(R"({"name": "a", "llm": {"provider": "llama.cpp", "base_url": "http://10.0.0.7:8080/v1"}})",
                        envOf({{"CONVOX_LLM_KEY_ORIGINS", "http://10.0.0.7:8080"}}), c);
  ASSERT_TRUE(shorthand) << c.error;
  EXPECT_EQ(shorthand->baseUrl, "http://10.0.0.7:8080/v1");
  EXPECT_EQ(shorthand->provider, "llama-cpp");  // as usage records spell providers
}

TEST(LanguageModelFactory, WhatTheWorkerCannotServeFailsWithTheReason) {
  boost::asio::io_context io;
  struct Case {
    const char* doc;
    std::map<std::string, std::string> env;
    const char* endReason;
    const char* mentions;
  };
  const Case cases[] = {
      {R"({"name": "a", "llm": {"provider": "anthropic-claude"}})", {}, "provider_unavailable", "anthropic-claude"},
      // The seed's example on a worker without a key: not silently the dialog engine.
      {R"({"name": "a", "llm": {"provider": "openai", "model": "gpt-4o-mini"}})",
       {},
       "provider_unavailable",
       "OPENAI_API_KEY"},
      {R"({"name": "a", "llm": {"provider": "groq"}})",
       {{"OPENAI_API_KEY", "k"}},
       "provider_unavailable",
       "GROQ_API_KEY"},
      {R"({"name": "a", "llm": {"provider": "openai-compatible"}})", {}, "invalid_agent_config", "base_url"},
      {R"({"name": "a", "llm": {"provider": "openai"}})",
       {{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "ftp://x"}},
       "provider_unavailable",
       "OPENAI_BASE_URL"},
  };
  for (const auto& c : cases) {
    auto choice = makeLanguageModel(settingsOf(c.doc), kParameters, io, {}, envOf(c.env));
    EXPECT_FALSE(choice.model) << c.doc;
    EXPECT_EQ(choice.endReason, c.endReason) << c.doc << ": " << choice.error;
    EXPECT_NE(choice.error.find(c.mentions), std::string::npos) << c.doc << ": " << choice.error;
  }
}

TEST(LanguageModelFactory, ACascadeKeepsTheProvidersThisWorkerCanServeInOrder) {
  boost::asio::io_context io;
  // OpenAI has no key on this worker: left out; Groq and Ollama remain.
  const std::string doc = R"({"name": "a", "llm": {"provider": "openai", "model": "gpt-4o-mini",
      "fallback": [{"provider": "groq", "model": "llama-3.1-8b-instant"}, {"provider": "ollama", "model": "llama3"}]}})";
  auto choice = makeLanguageModel(settingsOf(doc), kParameters, io, {}, envOf({{"GROQ_API_KEY", "gsk-worker"}}));
  ASSERT_TRUE(choice.model) << choice.error;
  EXPECT_EQ(choice.provider, "groq -> ollama");
  EXPECT_EQ(dynamic_cast<voice::OpenAiChatModel*>(choice.model.get()), nullptr);  // the cascade, not one model

  // Only one can be made: that one, unwrapped.
  auto one = makeLanguageModel(settingsOf(R"({"name": "a", "llm": {"provider": "openai",
      "fallback": [{"provider": "ollama", "model": "llama3"}]}})"),
                               kParameters, io, {}, envOf({}));
  ASSERT_TRUE(one.model) << one.error;
  EXPECT_EQ(one.provider, "ollama");

  // None: the primary's reason.
  auto none = makeLanguageModel(settingsOf(R"({"name": "a", "llm": {"provider": "openai",
      "fallback": [{"provider": "groq"}]}})"),
                                kParameters, io, {}, envOf({}));
  EXPECT_FALSE(none.model);
  EXPECT_EQ(none.endReason, "provider_unavailable");
  EXPECT_NE(none.error.find("OPENAI_API_KEY"), std::string::npos) << none.error;
}

// Issue 14: Anthropic, Gemini (as "gemini" or "google") and Sarvam, each with
// its own key variable, endpoint and default model.
TEST(LanguageModelFactory, AnthropicGeminiAndSarvamGetTheirOwnClients) {
  boost::asio::io_context io;
  auto anthropic = makeLanguageModel(settingsOf(R"({"name": "a", "llm": {"provider": "anthropic"}})"), kParameters, io,
                                     {}, envOf({{"ANTHROPIC_API_KEY", "sk-ant"}}));
  ASSERT_TRUE(anthropic.model) << anthropic.error;
  EXPECT_NE(dynamic_cast<voice::AnthropicChatModel*>(anthropic.model.get()), nullptr);
  for (const char* provider : {"gemini", "google"}) {
    for (const char* keyVar : {"GEMINI_API_KEY", "GOOGLE_API_KEY"}) {
      auto gemini =
          makeLanguageModel(settingsOf(std::string(R"({"name": "a", "llm": {"provider": ")") + provider + R"("}})"),
                            kParameters, io, {}, envOf({{keyVar, "AIza"}}));
      ASSERT_TRUE(gemini.model) << provider << " " << keyVar << ": " << gemini.error;
      EXPECT_NE(dynamic_cast<voice::GeminiChatModel*>(gemini.model.get()), nullptr) << provider;
    }
  }
  auto sarvam = makeLanguageModel(settingsOf(R"({"name": "a", "llm": {"provider": "sarvam"}})"), kParameters, io, {},
                                  envOf({{"SARVAM_API_KEY", "sk-sarvam"}}));
  ASSERT_TRUE(sarvam.model) << sarvam.error;
  EXPECT_NE(dynamic_cast<voice::OpenAiChatModel*>(sarvam.model.get()), nullptr);

  ModelChoice c;
  auto a = chat(R"({"name": "a", "llm": {"provider": "anthropic"}})", envOf({{"ANTHROPIC_API_KEY", "sk-ant"}}), c);
  ASSERT_TRUE(a) << c.error;
  EXPECT_EQ(a->baseUrl, "https://api.anthropic.com");
  EXPECT_EQ(a->apiKey, "sk-ant");
  EXPECT_EQ(a->model, "claude-haiku-4-5");
  auto g = chat(R"({"name": "a", "llm": {"provider": "google", "model": "gemini-2.5-pro"}})",
                envOf({{"GEMINI_API_KEY", "gem"}, {"GOOGLE_API_KEY", "goo"}}), c);
  ASSERT_TRUE(g) << c.error;
  EXPECT_EQ(g->baseUrl, "https://generativelanguage.googleapis.com");
  EXPECT_EQ(g->apiKey, "gem");  // GEMINI_API_KEY first
  EXPECT_EQ(g->model, "gemini-2.5-pro");
  EXPECT_EQ(g->provider, "google");
  auto s = chat(R"({"name": "a", "llm": {"provider": "sarvam"}})", envOf({{"SARVAM_API_KEY", "sk-sarvam"}}), c);
  ASSERT_TRUE(s) << c.error;
  EXPECT_EQ(s->baseUrl, "https://api.sarvam.ai/v1");
  EXPECT_EQ(s->keyHeader, "api-subscription-key");
  EXPECT_EQ(s->model, "sarvam-105b");
  auto openai = chat(R"({"name": "a", "llm": {"provider": "openai"}})", envOf({{"OPENAI_API_KEY", "k"}}), c);
  ASSERT_TRUE(openai) << c.error;
  EXPECT_EQ(openai->keyHeader, "Authorization");
}

TEST(LanguageModelFactory, TheNewProvidersKeysGoOnlyToTrustedOrigins) {
  const std::map<std::string, std::string> keys{
      {"ANTHROPIC_API_KEY", "sk-ant"}, {"GEMINI_API_KEY", "gem"}, {"SARVAM_API_KEY", "sk-sarvam"}};
  for (const char* provider : {"anthropic", "gemini", "sarvam"}) {
    const auto doc = [provider](const std::string& url) {
      return std::string(R"({"name": "a", "llm": {"provider": ")") + provider + R"(", "config": {"base_url": ")" + url +
             R"("}}})";
    };
    ModelChoice c;
    auto other = chat(doc("https://collector.example.com"), envOf(keys), c);
    ASSERT_TRUE(other) << provider << ": " << c.error;
    EXPECT_EQ(other->apiKey, "") << provider;
    EXPECT_TRUE(other->publicAddressesOnly) << provider;
    EXPECT_FALSE(chat(doc("http://169.254.169.254"), envOf(keys), c)) << provider;
    EXPECT_NE(c.error.find("must be public"), std::string::npos) << provider << ": " << c.error;
    auto env = keys;
    env["CONVOX_LLM_KEY_ORIGINS"] = "http://10.0.0.9:8000";
    auto listed = chat(doc("http://10.0.0.9:8000"), envOf(env), c);
    ASSERT_TRUE(listed) << provider << ": " << c.error;
    EXPECT_FALSE(listed->apiKey.empty()) << provider;
  }
  // The worker's own <PREFIX>_BASE_URL is trusted too.
  ModelChoice c;
  auto proxy =
      chat(R"({"name": "a", "llm": {"provider": "anthropic", "config": {"base_url": "http://10.0.0.5:4000"}}})",
           envOf({{"ANTHROPIC_API_KEY", "sk-ant"}, {"ANTHROPIC_BASE_URL", "http://10.0.0.5:4000"}}), c);
  ASSERT_TRUE(proxy) << c.error;
  EXPECT_EQ(proxy->apiKey, "sk-ant");
}

TEST(LanguageModelFactory, TheNewProvidersWithoutTheirKeyFailWithTheVariable) {
  boost::asio::io_context io;
  const std::pair<const char*, const char*> cases[] = {
      {"anthropic", "ANTHROPIC_API_KEY"}, {"gemini", "GEMINI_API_KEY or GOOGLE_API_KEY"}, {"sarvam", "SARVAM_API_KEY"}};
  for (const auto& [provider, mentions] : cases) {
    auto choice =
        makeLanguageModel(settingsOf(std::string(R"({"name": "a", "llm": {"provider": ")") + provider + R"("}})"),
                          kParameters, io, {}, envOf({{"OPENAI_API_KEY", "not-this-one"}}));
    EXPECT_FALSE(choice.model) << provider;
    EXPECT_EQ(choice.endReason, "provider_unavailable") << provider;
    EXPECT_NE(choice.error.find(mentions), std::string::npos) << provider << ": " << choice.error;
  }
}

}  // namespace
}  // namespace convox::worker

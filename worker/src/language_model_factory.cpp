#include "language_model_factory.hpp"

#include "provider_cascade.hpp"
#include "provider_endpoint.hpp"
#include "voice/anthropic_chat_model.hpp"
#include "voice/gemini_chat_model.hpp"
#include "voice/test_providers.hpp"

#include "agent_config/placeholders.hpp"

#include <array>
#include <cctype>
#include <cstdlib>
#include <string_view>

namespace convox::worker {

namespace {

constexpr std::string_view kDialogProvider = "convox-dialog";

// The providers this worker knows, by the API they speak. A cloud endpoint
// needs its key; a local server (Ollama, vLLM, llama.cpp) usually has none.
enum class ChatApi { kOpenAi, kAnthropic, kGemini };

struct LlmProvider {
  std::string_view name;
  std::string_view defaultBaseUrl;  // "" = the agent or the worker must name one
  std::string_view envPrefix;       // <prefix>_API_KEY, <prefix>_BASE_URL
  bool cloud;
  ChatApi api = ChatApi::kOpenAi;
  std::string_view defaultModel;  // "" = the client's default
  std::string_view altKeyEnv;     // read when <prefix>_API_KEY is not set
  std::string_view keyHeader;     // "" = Authorization: Bearer
};

constexpr std::array<LlmProvider, 14> kProviders{{
    {"openai", "https://api.openai.com/v1", "OPENAI", true, ChatApi::kOpenAi, "", "", ""},
    {"groq", "https://api.groq.com/openai/v1", "GROQ", true, ChatApi::kOpenAi, "", "", ""},
    {"deepseek", "https://api.deepseek.com/v1", "DEEPSEEK", true, ChatApi::kOpenAi, "", "", ""},
    {"mistral", "https://api.mistral.ai/v1", "MISTRAL", true, ChatApi::kOpenAi, "", "", ""},
    {"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER", true, ChatApi::kOpenAi, "", "", ""},
    {"together", "https://api.together.xyz/v1", "TOGETHER", true, ChatApi::kOpenAi, "", "", ""},
    {"ollama", "http://127.0.0.1:11434/v1", "OLLAMA", false, ChatApi::kOpenAi, "", "", ""},
    {"vllm", "http://127.0.0.1:8000/v1", "VLLM", false, ChatApi::kOpenAi, "", "", ""},
    {"llama.cpp", "http://127.0.0.1:8080/v1", "LLAMA", false, ChatApi::kOpenAi, "", "", ""},
    {"openai-compatible", "", "OPENAI", false, ChatApi::kOpenAi, "", "", ""},
    {"anthropic", "https://api.anthropic.com", "ANTHROPIC", true, ChatApi::kAnthropic, "claude-haiku-4-5", "", ""},
    {"gemini", "https://generativelanguage.googleapis.com", "GEMINI", true, ChatApi::kGemini, "gemini-2.5-flash",
     "GOOGLE_API_KEY", ""},
    {"google", "https://generativelanguage.googleapis.com", "GEMINI", true, ChatApi::kGemini, "gemini-2.5-flash",
     "GOOGLE_API_KEY", ""},
    // Sarvam's own guide names sarvam-105b current (PROTOCOL-providers.md §7).
    {"sarvam", "https://api.sarvam.ai/v1", "SARVAM", true, ChatApi::kOpenAi, "sarvam-105b", "", "api-subscription-key"},
}};

const LlmProvider* findProvider(const std::string& name) {
  for (const auto& p : kProviders) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string knownProviders() {
  std::string out(kDialogProvider);
  for (const auto& p : kProviders) out += ", " + std::string(p.name);
  return out;
}

// A provider's own settings with the common part the factory filled.
template <typename Settings>
Settings withCommon(const voice::ChatModelSettings& common) {
  Settings s;
  static_cast<voice::ChatModelSettings&>(s) = common;
  return s;
}

}  // namespace

EnvLookup processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): nothing sets the environment
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::optional<voice::OpenAiChatSettings> chatSettingsFor(const agent_config::AgentSettings& agent,
                                                         const std::map<std::string, std::string>& parameters,
                                                         const EnvLookup& env, ModelChoice& choice) {
  const auto* provider = findProvider(agent.llm.provider);
  choice.provider = agent.llm.provider;
  if (provider == nullptr) {
    choice.endReason = "provider_unavailable";
    choice.error = "llm provider '" + agent.llm.provider + "' is not supported by this worker (it serves " +
                   knownProviders() + ")";
    return std::nullopt;
  }
  auto s = voice::openAiChatSettingsFrom(agent, {});
  if (agent.llm.model.empty() && !provider->defaultModel.empty()) s.model = provider->defaultModel;
  if (!provider->keyHeader.empty()) s.keyHeader = provider->keyHeader;
  EndpointError error;
  const auto endpoint =
      resolveEndpoint({"llm", agent.llm.provider, std::string(provider->defaultBaseUrl),
                       std::string(provider->envPrefix), provider->cloud, std::string(provider->altKeyEnv)},
                      agent.llm.config, env, error);
  if (!endpoint) {
    choice.endReason = error.endReason;
    choice.error = error.error;
    return std::nullopt;
  }
  s.baseUrl = endpoint->baseUrl;
  s.apiKey = endpoint->apiKey;
  s.publicAddressesOnly = endpoint->publicOnly;
  // Usage records name providers with letters, digits, '_' and '-'.
  s.provider = agent.llm.provider;
  for (auto& c : s.provider) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '-';
  }
  s.systemPrompt = agent_config::renderPlaceholders(agent.systemPrompt, parameters);
  return s;
}

// One model: the stage's primary, or a fallback given as the primary of a copy.
static ModelChoice makeOneLanguageModel(const agent_config::AgentSettings& agent,
                                        const std::map<std::string, std::string>& parameters,
                                        boost::asio::io_context& io, voice::DialogEngine::Post post,
                                        const EnvLookup& env, const voice::UsageSink& usage) {
  ModelChoice choice;
  // No llm section: the agent is its dialog rules (or the default agent).
  if (agent.llm.provider.empty() || agent.llm.provider == kDialogProvider) {
    choice.provider = kDialogProvider;
    choice.model = std::make_unique<voice::DialogEngine>(agent, parameters, std::move(post));
    return choice;
  }
  // A benchmarking stand-in (bench/agent_load): a fixed reply at no cost.
  if (agent.llm.provider == voice::kTestProvider) {
    choice.provider = voice::kTestProvider;
    choice.model = voice::makeTestLanguageModel(
        voice::testProviderText(agent.llm, "reply", "Sure, I can book that for you."), std::move(post));
    return choice;
  }
  auto settings = chatSettingsFor(agent, parameters, env, choice);
  if (!settings) return choice;
  settings->cutReplyUsage = usage;
  switch (findProvider(agent.llm.provider)->api) {
    case ChatApi::kAnthropic:
      choice.model =
          std::make_unique<voice::AnthropicChatModel>(io, withCommon<voice::AnthropicChatSettings>(*settings));
      break;
    case ChatApi::kGemini:
      choice.model = std::make_unique<voice::GeminiChatModel>(io, withCommon<voice::GeminiChatSettings>(*settings));
      break;
    case ChatApi::kOpenAi:
      choice.model = std::make_unique<voice::OpenAiChatModel>(io, std::move(*settings));
      break;
  }
  return choice;
}

ModelChoice makeLanguageModel(const agent_config::AgentSettings& agent,
                              const std::map<std::string, std::string>& parameters, boost::asio::io_context& io,
                              voice::DialogEngine::Post post, const EnvLookup& env, FallbackHooks hooks) {
  auto primary = makeOneLanguageModel(agent, parameters, io, post, env, hooks.usage);
  if (agent.llm.fallbacks.empty()) return primary;
  std::vector<ModelChoice> candidates;
  candidates.reserve(1 + agent.llm.fallbacks.size());
  candidates.push_back(std::move(primary));
  for (const auto& fallback : agent.llm.fallbacks) {
    auto copy = agent;
    copy.llm = fallback;
    copy.llm.fallbacks.clear();
    candidates.push_back(makeOneLanguageModel(copy, parameters, io, post, env, hooks.usage));
  }
  return makeCascade("llm", std::move(candidates), &ModelChoice::model, [&](std::vector<ModelChoice> members) {
    std::vector<voice::FallbackModel> models;
    models.reserve(members.size());
    for (auto& m : members) models.push_back({m.provider, std::move(m.model)});
    voice::FallbackSettings settings;
    if (agent.timeouts.llmCascadeTimeoutMs > 0) {
      settings.firstTokenTimeout = std::chrono::milliseconds(agent.timeouts.llmCascadeTimeoutMs);
    }
    settings.onEvent = std::move(hooks.onEvent);
    settings.usage = std::move(hooks.usage);
    return voice::makeFallbackLanguageModel(io, std::move(models), std::move(settings));
  });
}

}  // namespace convox::worker

#pragma once

// Chooses the call's language model from the agent document's
// `llm.provider`: the offline dialog engine, OpenAI-compatible chat
// completions for the providers that speak that API (Sarvam among them, with
// its own key header), Anthropic Messages or Google Gemini. A provider this worker
// does not know, or one it cannot reach (no key for a cloud endpoint), fails
// the call with the reason; it never falls back to the dialog engine, which
// would answer with rules the agent's author did not write.

#include "agent_config/agent_settings.hpp"
#include "voice/dialog_engine.hpp"
#include "voice/fallback_language_model.hpp"
#include "voice/language_model.hpp"
#include "voice/openai_chat_model.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace convox::worker {

// Reads the worker's environment (std::getenv in the process; a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup processEnvironment();

struct ModelChoice {
  std::unique_ptr<voice::LanguageModel> model;  // null on failure
  std::string error;                            // why not, for the conversation's error
  std::string endReason;                        // invalid_agent_config | provider_unavailable
  std::string provider;                         // the provider chosen, for logs
};

// The chat settings an `agent` on a chat model gets (the common part serves
// the Anthropic and Gemini clients too): nullopt with
// `choice.error` and `choice.endReason` when it cannot be served.
std::optional<voice::OpenAiChatSettings> chatSettingsFor(const agent_config::AgentSettings& agent,
                                                         const std::map<std::string, std::string>& parameters,
                                                         const EnvLookup& env, ModelChoice& choice);

// Where a cascade reports its switches, and where any model reports the
// usage no reply's onDone carries (a cascade's background probes, replies cut
// by a cancel).
struct FallbackHooks {
  std::function<void(const voice::ProviderSwitch& event)> onEvent;
  voice::UsageSink usage;
};

// The agent's model; with `llm.fallback` listed, a FallbackLanguageModel
// over every provider of the list this worker can serve (first-token
// timeout: llm_cascade_timeout_seconds).
ModelChoice makeLanguageModel(const agent_config::AgentSettings& agent,
                              const std::map<std::string, std::string>& parameters, boost::asio::io_context& io,
                              voice::DialogEngine::Post post, const EnvLookup& env, FallbackHooks hooks = {});

}  // namespace convox::worker

#pragma once

// The providers Convox speaks, built in: what each serves (stt, llm, tts),
// whether it needs an API key, where it lives by default, and how POST
// /v1/providers/{id}/test checks a credential against it.

#include <string_view>
#include <vector>

namespace convox::control_api {

// How the key travels in the connectivity check (and to the provider).
enum class KeyHeader {
  None,             // local engines: no network
  Bearer,           // Authorization: Bearer <key> (OpenAI-compatible)
  Token,            // Authorization: Token <key> (Deepgram)
  XiApiKey,         // xi-api-key (ElevenLabs)
  XApiKey,          // x-api-key + anthropic-version (Anthropic)
  XGoogApiKey,      // x-goog-api-key (Gemini)
  SubscriptionKey,  // api-subscription-key (Sarvam)
};

struct ProviderCheck {
  std::string_view method = "GET";
  std::string_view path;  // appended to the base URL
  std::string_view body;  // sent as JSON when not empty
  // Statuses besides 2xx that still prove the key was accepted (Sarvam's
  // check sends an empty request: the key passes, the body is refused).
  std::vector<unsigned> alsoOk = {};
  // Any answer below 500 counts: servers without an authenticated cheap
  // route, where the check can only show the server is there.
  bool anyAnswer = false;
};

struct ProviderInfo {
  std::string_view id;
  std::string_view name;
  std::vector<std::string_view> stages;  // of stt, llm, tts
  bool keyRequired = false;
  std::string_view defaultBaseUrl;  // "" for engines inside the worker
  KeyHeader keyHeader = KeyHeader::None;
  ProviderCheck check;
};

const std::vector<ProviderInfo>& providerCatalogue();
const ProviderInfo* findProvider(std::string_view id);

}  // namespace convox::control_api

#pragma once

// Where a network provider is reached and with which key, for every stage:
// the base URL from the agent document's `config.base_url`, else the
// worker's <PREFIX>_BASE_URL, else the provider's public endpoint; the key
// from the worker's credentials (<PREFIX>_API_KEY, or the team's stored
// credential fetched for the job). The key goes only where the operator
// sends it: the provider's own endpoint, the worker's base URL, or an origin
// listed in CONVOX_PROVIDER_KEY_ORIGINS (CONVOX_LLM_KEY_ORIGINS is read
// too); agent documents are written by every team, and a document's
// base_url must not be a way to collect the operator's key. A document's
// other base URLs must be public addresses (no SSRF into the worker's
// network).

#include "language_model_factory.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>

namespace convox::worker {

struct EndpointSpec {
  std::string stage;           // stt | llm | tts (for messages)
  std::string provider;        // as the document names it
  std::string defaultBaseUrl;  // "" = the document or the worker must name one
  std::string envPrefix;       // DEEPGRAM -> DEEPGRAM_API_KEY, DEEPGRAM_BASE_URL
  bool keyRequired = true;     // a cloud API: no key at its own endpoint fails the call
};

struct Endpoint {
  std::string baseUrl;      // without a trailing '/'
  std::string apiKey;       // "" when none, or when the origin is not trusted with it
  bool publicOnly = false;  // connect only to public addresses (the document chose the URL)
};

struct EndpointError {
  std::string error;
  std::string endReason;  // invalid_agent_config | provider_unavailable
};

// The variable prefix a provider's key goes by (deepgram -> DEEPGRAM,
// llama.cpp -> LLAMA, gemini and google -> GEMINI).
std::string credentialPrefix(const std::string& provider);

// `base` with a team's keys in front: <PREFIX>_API_KEY is answered from
// `keys` (provider -> key) for the providers the team configured. A team's
// key then goes where the worker's would (the provider's endpoint, the
// worker's base URL, the operator's trusted origins).
EnvLookup withTeamKeys(EnvLookup base, const std::map<std::string, std::string>& keys);

// `env` answers <PREFIX>_API_KEY and <PREFIX>_BASE_URL: the job's team
// credentials layered over the worker's environment by the caller.
std::optional<Endpoint> resolveEndpoint(const EndpointSpec& spec, const boost::json::object& config,
                                        const EnvLookup& env, EndpointError& error);

}  // namespace convox::worker

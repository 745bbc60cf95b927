#pragma once

// Where a network provider is reached and with which key, for every stage
// (the LLM, STT and TTS factories all resolve here).
//
// Base URL: the agent document's `config.base_url`, else the team's stored
// base URL for the provider (POST /v1/providers/{id}/configure), else the
// worker's <PREFIX>_BASE_URL, else the provider's public endpoint.
//
// Key: the team's stored key when it has one, else the worker's
// <PREFIX>_API_KEY (or the provider's alternative variable). Documents and
// team settings are written by every team, the worker's keys are the
// operator's, so:
// - the operator trusts an origin with keys when it is the provider's own
//   endpoint, the worker's <PREFIX>_BASE_URL, or listed in <PREFIX>_KEY_ORIGINS
//   (that provider's keys only) or CONVOX_PROVIDER_KEY_ORIGINS (every
//   provider's; CONVOX_LLM_KEY_ORIGINS is read too);
// - the worker's key goes only to origins the operator trusts;
// - a team's key goes there too, and to the team's own stored base URL;
// - a URL the operator does not trust (a document's or a team's) must be a
//   public address: no request into the worker's own network.

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
  std::string altKeyEnv;       // read when <PREFIX>_API_KEY is not set (GOOGLE_API_KEY)
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

// What a team stored for one provider, as the job read it.
struct TeamProviderCredential {
  std::string apiKey;   // "" when none is stored
  std::string baseUrl;  // "" when the team set none
};

// `base` (the worker's environment) with the job's team credentials beside
// it (provider -> credential), under names no environment variable has
// ("team:<PREFIX>_API_KEY", "team:<PREFIX>_BASE_URL"): resolveEndpoint
// tells the team's from the operator's by them.
EnvLookup withTeamCredentials(EnvLookup base, const std::map<std::string, TeamProviderCredential>& team);

std::optional<Endpoint> resolveEndpoint(const EndpointSpec& spec, const boost::json::object& config,
                                        const EnvLookup& env, EndpointError& error);

}  // namespace convox::worker

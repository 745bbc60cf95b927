#pragma once

// POST /v1/providers/{id}/test: one real request to the provider's API with
// a credential, on the calling store thread (it waits, as a store call does).

#include "provider_catalogue.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace convox::control_api {

struct ProviderCheckResult {
  bool ok = false;
  std::optional<unsigned> status;  // none: no HTTP answer (refused, unreachable, timed out)
  int64_t latencyMs = 0;
  std::optional<std::string> error;  // names the provider and the status; never the key
};

struct ProviderCheckTarget {
  std::string baseUrl;             // without a trailing '/'
  std::optional<std::string> key;  // none: sent without credentials
  // Off: loopback, private and link-local addresses are refused (the
  // webhooks' policy), so a team cannot probe the server's own network.
  bool allowPrivateNetworks = false;
  std::chrono::milliseconds timeout{10000};
};

ProviderCheckResult checkProvider(const ProviderInfo& provider, const ProviderCheckTarget& target);

}  // namespace convox::control_api

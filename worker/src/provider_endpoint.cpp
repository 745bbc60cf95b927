#include "provider_endpoint.hpp"

#include "common/address_policy.hpp"
#include "common/http_client.hpp"
#include "common/logging.hpp"

#include <boost/asio/ip/address.hpp>

#include <cctype>

namespace convox::worker {

namespace {

std::string envOr(const EnvLookup& env, const std::string& name) {
  if (!env) return {};
  auto v = env(name);
  return v ? *v : std::string();
}

std::string originOf(const std::string& url) {
  std::string error;
  const auto target = common::parseHttpTarget(url, error);
  if (!target) return {};
  return (target->tls ? "https://" : "http://") + target->host + ":" + target->port;
}

bool listed(const std::string& list, const std::string& origin) {
  for (size_t at = 0; at <= list.size();) {
    const size_t comma = std::min(list.find(',', at), list.size());
    std::string item = list.substr(at, comma - at);
    item.erase(0, std::min(item.find_first_not_of(' '), item.size()));
    while (!item.empty() && (item.back() == '/' || item.back() == ' ')) item.pop_back();
    if (!item.empty() && originOf(item) == origin) return true;
    at = comma + 1;
  }
  return false;
}

bool trustedOrigin(const std::string& baseUrl, const EndpointSpec& spec, const EnvLookup& env) {
  const std::string origin = originOf(baseUrl);
  if (origin.empty()) return false;
  if (!spec.defaultBaseUrl.empty() && origin == originOf(spec.defaultBaseUrl)) return true;
  const std::string envUrl = envOr(env, spec.envPrefix + "_BASE_URL");
  if (!envUrl.empty() && origin == originOf(envUrl)) return true;
  return listed(envOr(env, "CONVOX_PROVIDER_KEY_ORIGINS"), origin) ||
         listed(envOr(env, "CONVOX_LLM_KEY_ORIGINS"), origin);
}

}  // namespace

std::string credentialPrefix(const std::string& provider) {
  if (provider == "llama.cpp") return "LLAMA";
  if (provider == "google") return "GEMINI";
  std::string out;
  for (const char c : provider) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                                                       : '_';
  }
  return out;
}

EnvLookup withTeamKeys(EnvLookup base, const std::map<std::string, std::string>& keys) {
  std::map<std::string, std::string> byName;
  for (const auto& [provider, key] : keys) {
    if (!key.empty()) byName[credentialPrefix(provider) + "_API_KEY"] = key;
  }
  if (byName.empty()) return base;
  return [base = std::move(base), byName = std::move(byName)](const std::string& name) -> std::optional<std::string> {
    if (auto it = byName.find(name); it != byName.end()) return it->second;
    return base ? base(name) : std::nullopt;
  };
}

std::optional<Endpoint> resolveEndpoint(const EndpointSpec& spec, const boost::json::object& config,
                                        const EnvLookup& env, EndpointError& error) {
  Endpoint e;
  const std::string field = spec.stage + ".config.base_url";
  const auto* documentUrl = config.if_contains("base_url");
  const bool fromDocument = documentUrl != nullptr && documentUrl->is_string();
  e.baseUrl = fromDocument ? std::string(documentUrl->get_string()) : envOr(env, spec.envPrefix + "_BASE_URL");
  if (e.baseUrl.empty()) e.baseUrl = spec.defaultBaseUrl;
  while (!e.baseUrl.empty() && e.baseUrl.back() == '/') e.baseUrl.pop_back();
  if (e.baseUrl.empty()) {
    error = {spec.stage + " provider '" + spec.provider + "' needs " + field + " (or the worker's " + spec.envPrefix +
                 "_BASE_URL)",
             "invalid_agent_config"};
    return std::nullopt;
  }
  std::string urlError;
  const auto target = common::parseHttpTarget(e.baseUrl + "/", urlError);
  if (!target) {
    error = {(fromDocument ? field : spec.envPrefix + "_BASE_URL") + ": " + urlError,
             fromDocument ? "invalid_agent_config" : "provider_unavailable"};
    return std::nullopt;
  }
  const bool trusted = trustedOrigin(e.baseUrl, spec, env);
  if (fromDocument && !trusted) {
    e.publicOnly = true;
    boost::system::error_code ec;
    const auto literal = boost::asio::ip::make_address(target->host, ec);
    if (!ec) {
      if (const auto kind = common::nonPublicAddressKind(literal)) {
        error = {field + " " + originOf(e.baseUrl) + " is a " + std::string(*kind) +
                     " address; a document's base_url must be public unless the worker lists its origin in "
                     "CONVOX_PROVIDER_KEY_ORIGINS",
                 "provider_unavailable"};
        return std::nullopt;
      }
    }
  }
  const std::string key = envOr(env, spec.envPrefix + "_API_KEY");
  const bool atDefault = !spec.defaultBaseUrl.empty() && e.baseUrl == spec.defaultBaseUrl;
  if (key.empty() && spec.keyRequired && atDefault) {
    error = {spec.stage + " provider '" + spec.provider + "': the worker has no " + spec.envPrefix + "_API_KEY",
             "provider_unavailable"};
    return std::nullopt;
  }
  if (!key.empty()) {
    if (trusted) {
      e.apiKey = key;
    } else {
      common::logger("worker")->warn(
          "{} provider {}: not sending {}_API_KEY to {} (the agent's base_url; list its origin in "
          "CONVOX_PROVIDER_KEY_ORIGINS to allow it)",
          spec.stage, spec.provider, spec.envPrefix, originOf(e.baseUrl));
    }
  }
  return e;
}

}  // namespace convox::worker

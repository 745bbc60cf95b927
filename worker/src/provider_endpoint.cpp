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

// Whether the operator trusts `origin` with `spec`'s keys (and to be on a
// private network).
bool operatorTrusts(const std::string& origin, const EndpointSpec& spec, const EnvLookup& env) {
  if (origin.empty()) return false;
  if (!spec.defaultBaseUrl.empty() && origin == originOf(spec.defaultBaseUrl)) return true;
  const std::string envUrl = envOr(env, spec.envPrefix + "_BASE_URL");
  if (!envUrl.empty() && origin == originOf(envUrl)) return true;
  return listed(envOr(env, spec.envPrefix + "_KEY_ORIGINS"), origin) ||
         listed(envOr(env, "CONVOX_PROVIDER_KEY_ORIGINS"), origin) ||
         listed(envOr(env, "CONVOX_LLM_KEY_ORIGINS"), origin);
}

constexpr const char* kTeamPrefix = "team:";

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

EnvLookup withTeamCredentials(EnvLookup base, const std::map<std::string, TeamProviderCredential>& team) {
  std::map<std::string, std::string> byName;
  for (const auto& [provider, credential] : team) {
    const std::string prefix = kTeamPrefix + credentialPrefix(provider);
    if (!credential.apiKey.empty()) byName[prefix + "_API_KEY"] = credential.apiKey;
    if (!credential.baseUrl.empty()) byName[prefix + "_BASE_URL"] = credential.baseUrl;
  }
  if (byName.empty()) return base;
  return [base = std::move(base), byName = std::move(byName)](const std::string& name) -> std::optional<std::string> {
    if (auto it = byName.find(name); it != byName.end()) return it->second;
    if (name.starts_with(kTeamPrefix)) return std::nullopt;
    return base ? base(name) : std::nullopt;
  };
}

std::optional<Endpoint> resolveEndpoint(const EndpointSpec& spec, const boost::json::object& config,
                                        const EnvLookup& env, EndpointError& error) {
  Endpoint e;
  const std::string documentField = spec.stage + ".config.base_url";
  const std::string teamPrefix = kTeamPrefix + spec.envPrefix;
  const std::string teamUrl = envOr(env, teamPrefix + "_BASE_URL");
  const auto* documentUrl = config.if_contains("base_url");
  const bool fromDocument = documentUrl != nullptr && documentUrl->is_string();
  const bool fromTeam = !fromDocument && !teamUrl.empty();
  // Which setting chose the URL, for messages.
  std::string field = spec.envPrefix + "_BASE_URL";
  if (fromDocument) {
    e.baseUrl = std::string(documentUrl->get_string());
    field = documentField;
  } else if (fromTeam) {
    e.baseUrl = teamUrl;
    field = "the team's " + spec.provider + " base_url";
  } else {
    e.baseUrl = envOr(env, spec.envPrefix + "_BASE_URL");
  }
  if (e.baseUrl.empty()) e.baseUrl = spec.defaultBaseUrl;
  while (!e.baseUrl.empty() && e.baseUrl.back() == '/') e.baseUrl.pop_back();
  if (e.baseUrl.empty()) {
    error = {spec.stage + " provider '" + spec.provider + "' needs " + documentField + " (or the worker's " +
                 spec.envPrefix + "_BASE_URL)",
             "invalid_agent_config"};
    return std::nullopt;
  }
  std::string urlError;
  const auto target = common::parseHttpTarget(e.baseUrl + "/", urlError);
  if (!target) {
    error = {field + ": " + urlError, fromDocument ? "invalid_agent_config" : "provider_unavailable"};
    return std::nullopt;
  }
  const std::string origin = originOf(e.baseUrl);
  const bool trusted = operatorTrusts(origin, spec, env);
  if ((fromDocument || fromTeam) && !trusted) {
    // A tenant chose this URL: an address literal is refused now, a name when
    // it resolves (the client checks every address it would connect to).
    e.publicOnly = true;
    boost::system::error_code ec;
    const auto literal = boost::asio::ip::make_address(target->host, ec);
    if (!ec) {
      if (const auto kind = common::nonPublicAddressKind(literal)) {
        error = {field + " " + origin + " is a " + std::string(*kind) +
                     " address; a base_url an agent or a team sets must be public unless the worker lists its "
                     "origin in " +
                     spec.envPrefix + "_KEY_ORIGINS or CONVOX_PROVIDER_KEY_ORIGINS",
                 "provider_unavailable"};
        return std::nullopt;
      }
    }
  }
  const std::string teamKey = envOr(env, teamPrefix + "_API_KEY");
  std::string workerKey = envOr(env, spec.envPrefix + "_API_KEY");
  if (workerKey.empty() && !spec.altKeyEnv.empty()) workerKey = envOr(env, spec.altKeyEnv);
  const bool atTeamUrl = !teamUrl.empty() && origin == originOf(teamUrl);
  if (!teamKey.empty() && (trusted || atTeamUrl)) {
    e.apiKey = teamKey;
  } else if (!workerKey.empty() && trusted) {
    e.apiKey = workerKey;
  } else if (!teamKey.empty() || !workerKey.empty()) {
    common::logger("worker")->warn(
        "{} provider {}: not sending the {} key to {} ({}; list its origin in {}_KEY_ORIGINS to allow it)", spec.stage,
        spec.provider, teamKey.empty() ? "worker's" : "team's", origin, field, spec.envPrefix);
  }
  const bool atDefault = !spec.defaultBaseUrl.empty() && e.baseUrl == spec.defaultBaseUrl;
  if (e.apiKey.empty() && spec.keyRequired && atDefault) {
    error = {spec.stage + " provider '" + spec.provider + "': the team has no key for it and the worker has no " +
                 spec.envPrefix + "_API_KEY" + (spec.altKeyEnv.empty() ? "" : " or " + spec.altKeyEnv),
             "provider_unavailable"};
    return std::nullopt;
  }
  return e;
}

}  // namespace convox::worker

// /v1/providers: the built-in catalogue with the team's credentials beside
// it (hints only, never a key), configuring and removing a credential, and a
// live connectivity check with the stored or a posted credential.
#include "common/address_policy.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"
#include "provider_catalogue.hpp"
#include "provider_check.hpp"
#include "routes.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <variant>

namespace convox::control_api {
namespace {

using common::http::verb;

constexpr size_t kMaxKeyBytes = 4096;
constexpr size_t kMaxConfigBytes = size_t{16} * 1024;
// Keys shorter than this get no hint: four characters would be too much of them.
constexpr size_t kMinKeyForHint = 12;

json::array stagesJson(const ProviderInfo& p) {
  json::array out;
  for (const auto& s : p.stages) out.emplace_back(s);
  return out;
}

json::value optional(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object providerJson(const ProviderInfo& p, const std::optional<ProviderCredentialRecord>& c) {
  json::object o{{"id", p.id},
                 {"name", p.name},
                 {"stages", stagesJson(p)},
                 {"key_required", p.keyRequired},
                 {"runs_in_worker", p.defaultBaseUrl.empty()},
                 {"default_base_url", p.defaultBaseUrl.empty() ? json::value(nullptr) : json::value(p.defaultBaseUrl)},
                 {"configured", c.has_value()}};
  o["key_hint"] = c && c->keyHint ? json::value("…" + *c->keyHint) : json::value(nullptr);
  o["has_key"] = c && c->sealedKey;
  o["base_url"] = c ? optional(c->baseUrl) : json::value(nullptr);
  o["config"] = c ? json::parse(c->configJson) : json::object();
  o["created_at"] = c ? json::value(c->createdAt) : json::value(nullptr);
  o["updated_at"] = c ? json::value(c->updatedAt) : json::value(nullptr);
  return o;
}

HttpResponse noEncryptionKey(const HttpRequest& req) {
  return errorResponse(req, status::service_unavailable, "encryption_unavailable",
                       "this server has no encryption key (CONVOX_ENCRYPT_KEY), so it cannot store or read provider "
                       "credentials");
}

// Why `key` cannot be an API key, or nullopt. Whitespace and control
// characters are what a paste adds; no provider's keys have them.
std::optional<std::string> keyProblem(const std::string& key) {
  if (key.empty()) return "must not be empty";
  if (key.size() > kMaxKeyBytes) return "must be at most " + std::to_string(kMaxKeyBytes) + " bytes";
  const bool plain = std::all_of(key.begin(), key.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > ' ' && u != 0x7f;
  });
  if (!plain) return "must not contain spaces, line breaks or control characters";
  return std::nullopt;
}

// An http(s) origin and path, without user info, query or fragment (a key
// must not hide in a URL that is stored in clear and shown back).
std::optional<std::string> baseUrlProblem(const std::string& url) {
  const auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return "must be an absolute http:// or https:// URL";
  if (parsed->scheme() != "http" && parsed->scheme() != "https") return "must be an http:// or https:// URL";
  if (parsed->has_userinfo()) return "must not contain user info (put the key in api_key)";
  if (parsed->has_query() || parsed->has_fragment()) return "must not have a query or fragment";
  if (const auto problem = common::urlHostProblem(url)) return *problem;
  return std::nullopt;
}

std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool secretLookingName(std::string name) {
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* s : {"api_key", "apikey", "key", "secret", "token", "password", "authorization"}) {
    if (name == s) return true;
  }
  return false;
}

// The parts of a configure or test body, checked.
struct CredentialInput {
  std::optional<std::string> apiKey;
  std::optional<std::string> baseUrl;
  std::optional<json::object> config;
};

std::variant<CredentialInput, HttpResponse> readInput(const RequestContext& ctx, const ProviderInfo& p,
                                                      bool withConfig) {
  const auto& req = ctx.req;
  CredentialInput in;
  if (req.body().empty() && !withConfig) return in;
  auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
  if (body.error) return *body.error;
  FieldReader fields(body.object);
  in.apiKey = fields.string("api_key", false, SIZE_MAX);
  in.baseUrl = fields.string("base_url", false, 2048);
  const json::object* config = withConfig ? fields.object("config") : nullptr;
  auto errors = fields.finish();
  const bool inWorker = p.defaultBaseUrl.empty();
  if (in.apiKey) {
    if (inWorker) {
      errors.push_back({"api_key", "not_allowed", std::string(p.id) + " runs inside the worker and takes no key"});
    } else if (auto problem = keyProblem(*in.apiKey)) {
      errors.push_back({"api_key", "invalid_value", *problem});
    }
  }
  if (in.baseUrl) {
    if (inWorker) {
      errors.push_back({"base_url", "not_allowed", std::string(p.id) + " runs inside the worker and has no URL"});
    } else if (auto problem = baseUrlProblem(*in.baseUrl)) {
      errors.push_back({"base_url", "invalid_value", *problem});
    } else {
      in.baseUrl = trimSlash(*in.baseUrl);
    }
  }
  if (config) {
    if (json::serialize(*config).size() > kMaxConfigBytes) {
      errors.push_back({"config", "too_long", "must be at most " + std::to_string(kMaxConfigBytes) + " bytes"});
    }
    for (const auto& [name, value] : *config) {
      if (secretLookingName(name)) {
        errors.push_back({"config." + std::string(name), "not_allowed",
                          "config is stored in clear and shown back; send the key as api_key"});
      }
    }
    in.config = *config;
  }
  if (!errors.empty()) return errorResponse(req, status::bad_request, "invalid_request", "invalid credential", errors);
  return in;
}

std::string hintOf(const std::string& key) {
  return key.size() >= kMinKeyForHint ? key.substr(key.size() - 4) : std::string();
}

HttpResponse configure(const RequestContext& ctx, const ProviderInfo& p) {
  const auto& req = ctx.req;
  if (!ctx.secrets) return noEncryptionKey(req);
  auto input = readInput(ctx, p, true);
  if (auto* refused = std::get_if<HttpResponse>(&input)) return std::move(*refused);
  auto& in = std::get<CredentialInput>(input);
  const auto id = std::string(p.id);
  auto stored = ctx.repository.getProviderCredential(ctx.teamId, id);
  ProviderCredentialRecord record = stored.value_or(ProviderCredentialRecord{});
  const auto now = common::unixMillis();
  record.provider = id;
  if (!stored) record.createdAt = now;
  record.updatedAt = now;
  if (in.apiKey) {
    record.sealedKey = ctx.secrets->seal(*in.apiKey, providerCredentialContext(ctx.teamId, id));
    const auto hint = hintOf(*in.apiKey);
    record.keyHint = hint.empty() ? std::nullopt : std::optional<std::string>(hint);
  } else if (p.keyRequired && !record.sealedKey) {
    return errorResponse(req, status::bad_request, "invalid_request", "invalid credential",
                         {{"api_key", "required", std::string(p.id) + " needs an API key and none is stored"}});
  }
  // Each field given replaces the stored one; a field left out keeps it.
  if (in.baseUrl) record.baseUrl = *in.baseUrl;
  if (in.config) record.configJson = json::serialize(*in.config);
  ctx.repository.putProviderCredential(ctx.teamId, record);
  common::logger("api")->info("team {} configured provider {}", ctx.teamId, id);
  return jsonResponse(req, stored ? status::ok : status::created, providerJson(p, record));
}

HttpResponse removeCredential(const RequestContext& ctx, const ProviderInfo& p) {
  if (!ctx.repository.deleteProviderCredential(ctx.teamId, std::string(p.id))) {
    return notFound(ctx.req, "credential for " + std::string(p.id));
  }
  common::logger("api")->info("team {} removed its credential for provider {}", ctx.teamId, p.id);
  return common::makeResponse(ctx.req, status::no_content, "");
}

HttpResponse test(const RequestContext& ctx, const ProviderInfo& p) {
  const auto& req = ctx.req;
  auto input = readInput(ctx, p, false);
  if (auto* refused = std::get_if<HttpResponse>(&input)) return std::move(*refused);
  auto& in = std::get<CredentialInput>(input);
  if (p.defaultBaseUrl.empty()) {
    return jsonResponse(req, status::ok,
                        {{"ok", true},
                         {"status", nullptr},
                         {"latency_ms", 0},
                         {"error", nullptr},
                         {"note", std::string(p.id) + " runs inside the worker: there is nothing to connect to"}});
  }
  const auto id = std::string(p.id);
  const auto stored = ctx.repository.getProviderCredential(ctx.teamId, id);
  ProviderCheckTarget target;
  target.allowPrivateNetworks = ctx.allowPrivateNetworks;
  target.baseUrl = in.baseUrl                  ? *in.baseUrl
                   : stored && stored->baseUrl ? *stored->baseUrl
                                               : std::string(p.defaultBaseUrl);
  // The stored key is tried only where it is meant to go (the stored URL or
  // the provider's own): a posted URL with it would hand the key to whoever
  // runs that URL, and a team key is not a way to read a stored secret.
  const bool storedKeysUrl =
      !in.baseUrl || *in.baseUrl == (stored && stored->baseUrl ? *stored->baseUrl : std::string(p.defaultBaseUrl));
  if (in.apiKey) {
    target.key = in.apiKey;
  } else if (stored && stored->sealedKey && !storedKeysUrl) {
    return errorResponse(req, status::bad_request, "invalid_request",
                         "the stored key is used only with the stored base_url (or the provider's); post the api_key "
                         "to test it against another base_url",
                         {{"api_key", "required", "is required with a base_url other than the stored one"}});
  } else if (stored && stored->sealedKey) {
    if (!ctx.secrets) return noEncryptionKey(req);
    auto key = ctx.secrets->open(*stored->sealedKey, providerCredentialContext(ctx.teamId, id));
    if (!key) {
      common::logger("api")->error("team {}: the credential for {} cannot be read: {}", ctx.teamId, id, key.error());
      return errorResponse(req, status::internal_server_error, "credential_unreadable",
                           "the stored credential for " + id + " cannot be read: " + key.error());
    }
    target.key = std::move(*key);
  } else if (p.keyRequired) {
    return errorResponse(
        req, status::bad_request, "invalid_request",
        id + " needs an API key: none is stored (POST /v1/providers/" + id + "/configure) and none was posted",
        {{"api_key", "required", "is required when no key is stored"}});
  }
  const auto result = checkProvider(p, target);
  return jsonResponse(req, status::ok,
                      {{"ok", result.ok},
                       {"status", result.status ? json::value(*result.status) : json::value(nullptr)},
                       {"latency_ms", result.latencyMs},
                       {"error", optional(result.error)}});
}

}  // namespace

HttpResponse handleProviders(const RequestContext& ctx) {
  const auto& req = ctx.req;
  const auto& s = ctx.segments;
  if (s.size() == 1) {
    if (req.method() != verb::get) return methodNotAllowed(req);
    std::map<std::string, ProviderCredentialRecord> stored;
    for (auto& c : ctx.repository.listProviderCredentials(ctx.teamId)) stored.emplace(c.provider, std::move(c));
    json::array list;
    for (const auto& p : providerCatalogue()) {
      const auto it = stored.find(std::string(p.id));
      list.push_back(providerJson(p, it == stored.end() ? std::nullopt : std::optional(it->second)));
    }
    return jsonResponse(req, status::ok, {{"providers", std::move(list)}});
  }
  const auto* provider = findProvider(s[1]);
  if (!provider) return notFound(req, "provider " + s[1].substr(0, 64));
  if (s.size() == 2) {
    if (req.method() != verb::get) return methodNotAllowed(req);
    return jsonResponse(req, status::ok,
                        providerJson(*provider, ctx.repository.getProviderCredential(ctx.teamId, s[1])));
  }
  if (s.size() != 3) return notFound(req, "route");
  if (s[2] == "configure") {
    if (req.method() == verb::post) return configure(ctx, *provider);
    if (req.method() == verb::delete_) return removeCredential(ctx, *provider);
    return methodNotAllowed(req);
  }
  if (s[2] == "test") {
    if (req.method() != verb::post) return methodNotAllowed(req);
    return test(ctx, *provider);
  }
  return notFound(req, "route");
}

}  // namespace convox::control_api

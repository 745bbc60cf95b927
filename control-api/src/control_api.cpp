#include "control_api/control_api.hpp"

#include "common/access_token.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"
#include "control_api/agent_config.hpp"
#include "demo_agent.hpp"
#include "job_token_auth.hpp"
#include "routes.hpp"
#include "webhook_secrets.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <stdexcept>

namespace convox::control_api {
namespace {

std::vector<std::string> splitPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  size_t start = 0;
  while (start < target.size()) {
    auto slash = target.find('/', start);
    if (slash == std::string_view::npos) slash = target.size();
    if (slash > start) out.emplace_back(target.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// The key from `Authorization: Bearer <key>` (the scheme in any case, as
// RFC 9110 says and as the LiveKit routes read it) or `x-api-key: <key>`.
std::string presentedKey(const HttpRequest& req) {
  if (const auto it = req.find(common::http::field::authorization); it != req.end()) {
    return std::string(common::bearerToken(it->value()));
  }
  if (const auto it = req.find("x-api-key"); it != req.end()) return std::string(it->value());
  return {};
}

// The query parameters each route takes; every other route takes none.
std::vector<std::string_view> queryParametersOf(const std::vector<std::string>& segments) {
  const bool conversations = !segments.empty() && (segments[0] == "conversations" || segments[0] == "sessions");
  if (segments.size() == 1 && conversations) {
    return {"agent_id", "status", "created_from", "created_until", "limit", "cursor"};
  }
  if (segments.size() == 3 && conversations && segments[2] == "transcript") return {"format"};
  if (segments.size() == 2 && segments[0] == "analytics") {
    if (segments[1] == "cost") return {"from", "to", "agent_id", "bucket"};
    return {"from", "to", "agent_id"};
  }
  return {};
}

HttpResponse route(const RequestContext& ctx) {
  const auto& resource = ctx.segments[0];
  if (resource == "api-keys") return handleApiKeys(ctx);
  if (resource == "agents") {
    if (ctx.segments.size() == 3 && ctx.segments[2] == "test") return handleAgentTest(ctx);
    return handleAgents(ctx);
  }
  if (resource == "calls") return handleCalls(ctx);
  if (resource == "conversations") return handleConversations(ctx);
  if (resource == "sessions") return handleSessions(ctx);
  if (resource == "providers" && ctx.segments.size() == 3 && ctx.segments[2] == "pricing") return handlePricing(ctx);
  if (resource == "analytics") return handleAnalytics(ctx);
  if (resource == "providers") return handleProviders(ctx);
  return notFound(ctx.req, "route");
}

}  // namespace

HttpResponse notFound(const HttpRequest& req, std::string_view what) {
  return errorResponse(req, status::not_found, "not_found", std::string(what) + " not found");
}

HttpResponse methodNotAllowed(const HttpRequest& req) {
  return errorResponse(req, status::method_not_allowed, "method_not_allowed",
                       std::string(req.method_string()) + " is not allowed here");
}

ControlApi::ControlApi(Repository& repository, CallSettings calls, ApiLimits limits, WebhookDeliverySettings webhooks,
                       DevKey devKey, std::optional<SecretBox> secrets)
    : repository_(repository),
      calls_(std::move(calls)),
      limits_(limits),
      webhooks_(std::make_unique<WebhookSender>(repository, webhooks, secrets)),
      devKey_(devKey),
      secrets_(secrets),
      allowPrivateNetworks_(webhooks.allowPrivateNetworks),
      storeThreads_(std::max(limits.storeThreads, 1U)) {
  if (secrets_) sealStoredWebhookSecrets(repository_, *secrets_);
}

ControlApi::~ControlApi() { stop(); }

void ControlApi::stop() {
  storeThreads_.stop();
  storeThreads_.join();
}

void ControlApi::mount(common::HttpRouter& router) {
  router.prefix(
      "/v1/", [this](const HttpRequest& req) { return handle(req); }, storeThreads_.get_executor());
}

HttpResponse ControlApi::handle(const HttpRequest& req) {
  auto segments = splitPath(req.target());
  if (segments.empty() || segments[0] != "v1") return notFound(req, "route");
  segments.erase(segments.begin());
  if (segments.size() == 1 && segments[0] == "openapi.json") {
    if (req.method() != common::http::verb::get) return methodNotAllowed(req);
    return common::makeResponse(req, status::ok, openApiDocument(), "application/json");
  }
  const auto key = presentedKey(req);
  if (key.empty()) {
    return errorResponse(req, status::unauthorized, "unauthenticated",
                         "an API key is required (Authorization: Bearer <key> or x-api-key)");
  }
  try {
    std::string teamId;
    const bool jobToken = looksLikeJwt(key);
    if (jobToken) {
      auto job = authenticateJobToken(req, key, calls_.jobTokenSecrets, repository_, common::unixMillis() / 1000);
      if (auto* refused = std::get_if<HttpResponse>(&job)) return std::move(*refused);
      const auto& scope = std::get<JobScope>(job);
      if (auto refused = checkJobScope(req, segments, scope)) return std::move(*refused);
      teamId = scope.call->teamId;
    } else {
      const auto identity = authenticateTeamKey(repository_, key, devKey_);
      if (!identity) return errorResponse(req, status::unauthorized, "unauthenticated", identity.error());
      teamId = identity->teamId;
    }
    if (segments.empty()) return notFound(req, "route");
    if (auto refused = checkContentType(req)) return std::move(*refused);
    if (auto refused = checkQuery(req, queryParametersOf(segments))) return std::move(*refused);
    return route({req, teamId, segments, repository_, calls_, limits_, webhooks_.get(), secrets_ ? &*secrets_ : nullptr,
                  allowPrivateNetworks_, jobToken});
  } catch (const StoreError& e) {
    common::logger("control-api")
        ->error("store error on {} {}: {}", std::string(req.method_string()),
                std::string(req.target().substr(0, req.target().find('?'))), e.what());
    return errorResponse(req, status::service_unavailable, "storage_error", "the store failed; try again");
  }
}

HttpResponse handleApiKeys(const RequestContext& ctx) {
  const auto& req = ctx.req;
  const auto method = req.method();
  if (ctx.segments.size() == 1) {
    if (method == common::http::verb::get) {
      json::array keys;
      for (const auto& k : ctx.repository.listApiKeys(ctx.teamId)) {
        json::object o{{"id", k.id}, {"name", k.name}, {"prefix", k.prefix}, {"created_at", k.createdAt}};
        o["revoked_at"] = k.revokedAt ? json::value(*k.revokedAt) : json::value(nullptr);
        keys.push_back(std::move(o));
      }
      return jsonResponse(req, status::ok, {{"api_keys", std::move(keys)}});
    }
    if (method == common::http::verb::post) {
      auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
      if (body.error) return *body.error;
      FieldReader fields(body.object);
      const auto name = fields.string("name", true, 200);
      const auto errors = fields.finish();
      if (!errors.empty()) return errorResponse(req, status::bad_request, "invalid_request", "invalid API key", errors);
      const auto created = ctx.repository.createApiKey(ctx.teamId, *name);
      return jsonResponse(req, status::created,
                          {{"id", created.info.id},
                           {"name", created.info.name},
                           {"prefix", created.info.prefix},
                           {"created_at", created.info.createdAt},
                           {"key", created.secret}});
    }
    return methodNotAllowed(req);
  }
  if (ctx.segments.size() == 2) {
    if (method != common::http::verb::delete_) return methodNotAllowed(req);
    if (!ctx.repository.revokeApiKey(ctx.teamId, ctx.segments[1], common::unixMillis())) {
      return notFound(req, "API key");
    }
    return common::makeResponse(req, status::no_content, "");
  }
  return notFound(req, "route");
}

namespace {
constexpr const char* kDevKeyId = "key_dev";
}

boost::system::result<ApiKeyInfo, std::string> authenticateTeamKey(Repository& repository, const std::string& key,
                                                                   DevKey devKey) {
  using Result = boost::system::result<ApiKeyInfo, std::string>;
  const auto refused = [](std::string why) { return Result(boost::system::in_place_error, std::move(why)); };
  if (key == kDevApiKey) {
    // The dev key is public: a store that once ran with --dev must not let it
    // in on a server started without it.
    if (devKey == DevKey::Refused) {
      return refused(std::string("the development key ") + kDevApiKey +
                     " is accepted only by a server started with --dev");
    }
  } else if (!looksLikeApiKey(key)) {
    return refused("the API key is not valid");
  }
  auto found = repository.authenticate(key);
  if (!found) return refused("the API key is not valid");
  return Result(boost::system::in_place_value, std::move(*found));
}

void ensureDevTeam(Repository& repository) {
  repository.ensureTeamWithKey(kDevTeamId, "Development", kDevKeyId, kDevApiKey);
}

std::string ensureDemoAgent(Repository& repository) {
  auto document = boost::json::parse(kDemoAgentJson).as_object();
  if (const auto errors = validateAgentDocument(document); !errors.empty()) {
    throw std::runtime_error("the built-in demo agent is invalid: " + errors.front().field + " " +
                             errors.front().message);
  }
  AgentRecord agent;
  agent.id = std::string(document.at("id").as_string());
  agent.name = std::string(document.at("name").as_string());
  document.erase("id");
  agent.configJson = boost::json::serialize(document);
  agent.createdAt = agent.updatedAt = common::unixMillis();
  repository.createAgent(kDevTeamId, agent);  // false: it is there already, as the user left it
  return agent.id;
}

bool devKeyStored(Repository& repository) {
  const auto keys = repository.listApiKeys(kDevTeamId);
  return std::any_of(keys.begin(), keys.end(), [](const ApiKeyInfo& k) { return k.id == kDevKeyId; });
}

}  // namespace convox::control_api

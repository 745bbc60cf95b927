// /v1/agents: create, list, get, update (versioned), delete.
#include "common/ids.hpp"
#include "routes.hpp"

namespace convox::control_api {
namespace {

// Webhook secrets are write-only: responses carry this in their place, and an
// update that sends it back keeps the stored secret of that webhook URL.
constexpr std::string_view kMaskedSecret = "********";

json::object agentJson(const AgentRecord& agent) {
  json::object out = json::parse(agent.configJson).as_object();
  if (auto* hooks = out.if_contains("webhooks"); hooks && hooks->is_array()) {
    for (auto& hook : hooks->as_array()) {
      if (hook.is_object() && hook.as_object().contains("secret")) hook.as_object()["secret"] = kMaskedSecret;
    }
  }
  out["id"] = agent.id;
  out["name"] = agent.name;
  out["version"] = agent.version;
  out["created_at"] = agent.createdAt;
  out["updated_at"] = agent.updatedAt;
  return out;
}

// The validated document, or the 400 to send.
struct AgentInput {
  json::object document;
  std::optional<HttpResponse> error;
};

AgentInput readAgent(const RequestContext& ctx) {
  AgentInput in;
  auto body = parseJsonObject(ctx.req, ctx.limits.maxBodyBytes);
  if (body.error) {
    in.error = std::move(body.error);
    return in;
  }
  const auto errors = validateAgentDocument(body.object);
  if (!errors.empty()) {
    in.error = errorResponse(ctx.req, status::bad_request, "invalid_agent", "the agent document is invalid", errors);
    return in;
  }
  in.document = std::move(body.object);
  return in;
}

// What is stored as config: the document without the fields the server owns.
std::string configOf(json::object document) {
  document.erase("id");
  document.erase("version");
  return json::serialize(document);
}

HttpResponse createAgent(const RequestContext& ctx) {
  auto in = readAgent(ctx);
  if (in.error) return *in.error;
  if (in.document.contains("version")) {
    return errorResponse(ctx.req, status::bad_request, "invalid_agent", "the agent document is invalid",
                         {{"version", "invalid_value", "is set by the server; omit it when creating"}});
  }
  AgentRecord agent;
  const auto* id = in.document.if_contains("id");
  agent.id = id ? std::string(id->as_string()) : common::newId("agt_");
  agent.name = std::string(in.document.at("name").as_string());
  agent.configJson = configOf(in.document);
  agent.createdAt = agent.updatedAt = common::unixMillis();
  if (!ctx.repository.createAgent(ctx.teamId, agent)) {
    return errorResponse(ctx.req, status::conflict, "already_exists", "an agent with this id exists",
                         {{"id", "already_exists", "is taken"}});
  }
  return jsonResponse(ctx.req, status::created, agentJson(agent));
}

// A GET-edit-PUT round trip sends the masked secrets back; they mean "unchanged".
void restoreMaskedSecrets(const RequestContext& ctx, const std::string& agentId, json::object& document) {
  auto* hooks = document.if_contains("webhooks");
  if (!hooks || !hooks->is_array()) return;
  const auto stored = ctx.repository.getAgent(ctx.teamId, agentId);
  if (!stored) return;
  const auto storedConfig = json::parse(stored->configJson).as_object();
  const auto* storedHooks = storedConfig.if_contains("webhooks");
  if (!storedHooks || !storedHooks->is_array()) return;
  for (auto& hook : hooks->as_array()) {
    auto& h = hook.as_object();
    if (h.at("secret").as_string() != kMaskedSecret) continue;
    for (const auto& old : storedHooks->as_array()) {
      if (old.as_object().at("url") == h.at("url")) h["secret"] = old.as_object().at("secret");
    }
  }
}

HttpResponse updateAgent(const RequestContext& ctx, const std::string& agentId) {
  auto in = readAgent(ctx);
  if (in.error) return *in.error;
  if (const auto* id = in.document.if_contains("id"); id && id->as_string() != agentId) {
    return errorResponse(ctx.req, status::bad_request, "invalid_agent", "the agent document is invalid",
                         {{"id", "invalid_value", "does not match the agent in the URL"}});
  }
  restoreMaskedSecrets(ctx, agentId, in.document);
  std::optional<int64_t> expected;
  if (const auto* v = in.document.if_contains("version")) expected = v->to_number<int64_t>();
  auto result = ctx.repository.updateAgent(ctx.teamId, agentId, std::string(in.document.at("name").as_string()),
                                           configOf(in.document), expected, common::unixMillis());
  if (const auto* agent = std::get_if<AgentRecord>(&result))
    return jsonResponse(ctx.req, status::ok, agentJson(*agent));
  if (std::get<UpdateFailure>(result) == UpdateFailure::NotFound) return notFound(ctx.req, "agent");
  return errorResponse(ctx.req, status::conflict, "version_conflict",
                       "the agent changed since that version; fetch it and retry",
                       {{"version", "version_conflict", "is not the current version"}});
}

}  // namespace

HttpResponse handleAgents(const RequestContext& ctx) {
  using common::http::verb;
  const auto& req = ctx.req;
  if (ctx.segments.size() == 1) {
    if (req.method() == verb::post) return createAgent(ctx);
    if (req.method() != verb::get) return methodNotAllowed(req);
    json::array agents;
    for (const auto& a : ctx.repository.listAgents(ctx.teamId)) agents.push_back(agentJson(a));
    return jsonResponse(req, status::ok, {{"agents", std::move(agents)}});
  }
  if (ctx.segments.size() != 2 || !isIdentifier(ctx.segments[1])) return notFound(req, "agent");
  const auto& agentId = ctx.segments[1];
  switch (req.method()) {
    case verb::get: {
      const auto agent = ctx.repository.getAgent(ctx.teamId, agentId);
      if (!agent) return notFound(req, "agent");
      return jsonResponse(req, status::ok, agentJson(*agent));
    }
    case verb::put:
      return updateAgent(ctx, agentId);
    case verb::delete_:
      if (!ctx.repository.deleteAgent(ctx.teamId, agentId)) return notFound(req, "agent");
      return common::makeResponse(req, status::no_content, "");
    default:
      return methodNotAllowed(req);
  }
}

}  // namespace convox::control_api

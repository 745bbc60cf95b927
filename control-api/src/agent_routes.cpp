// /v1/agents: create, list, get, update (versioned), delete.
#include "common/ids.hpp"
#include "routes.hpp"
#include "webhook_secrets.hpp"

#include <map>

namespace convox::control_api {
namespace {

// Webhook secrets are write-only: responses carry this in their place. Each
// target has an id (the client's, or one made here), and an update that sends
// the mask back for an id keeps the secret stored under that id, whatever else
// changed, its URL included.
constexpr std::string_view kMaskedSecret = "********";

// The document's webhook targets in the list form, the form whose targets
// have ids.
json::array* webhookTargets(json::object& document) {
  auto* hooks = document.if_contains("webhooks");
  return hooks && hooks->is_array() ? &hooks->as_array() : nullptr;
}

// The seed's form, `{on_call_end, on_transcript_ready, secret?}`: one optional
// secret for the agent's webhooks, matched by its place rather than an id.
json::object* webhooksByEvent(json::object& document) {
  auto* hooks = document.if_contains("webhooks");
  return hooks && hooks->is_object() ? &hooks->as_object() : nullptr;
}

// Targets stored before targets had ids are known by their position.
std::string storedTargetId(const json::object& hook, size_t index) {
  if (const auto* id = hook.if_contains("id"); id && id->is_string()) return std::string(id->get_string());
  return "wh_" + std::to_string(index);
}

json::object agentJson(const AgentRecord& agent) {
  json::object out = json::parse(agent.configJson).as_object();
  if (auto* hooks = webhookTargets(out)) {
    for (size_t i = 0; i < hooks->size(); ++i) {
      auto& hook = (*hooks)[i].as_object();
      hook["id"] = storedTargetId(hook, i);
      if (hook.contains("secret")) hook["secret"] = kMaskedSecret;
    }
  }
  if (auto* byEvent = webhooksByEvent(out); byEvent && byEvent->contains("secret"))
    (*byEvent)["secret"] = kMaskedSecret;
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

// Gives every target without an id a new one.
void assignWebhookIds(json::object& document) {
  if (auto* hooks = webhookTargets(document)) {
    for (auto& hook : *hooks) {
      if (!hook.as_object().contains("id")) hook.as_object()["id"] = common::newId("wh_");
    }
  }
}

// Replaces each masked secret by the one stored for the target's id; a mask
// that matches no stored target is an error (storing it would sign with a key
// anyone can read). `stored` is null on create.
// The seed form's masked secret is the stored seed form's secret.
std::vector<FieldError> resolveMaskedEventSecret(json::object& byEvent, const json::object* stored) {
  const auto* secret = byEvent.if_contains("secret");
  if (!secret || secret->as_string() != kMaskedSecret) return {};
  const auto* old = stored ? stored->if_contains("webhooks") : nullptr;
  const auto* oldSecret = old && old->is_object() ? old->as_object().if_contains("secret") : nullptr;
  if (oldSecret) {
    byEvent["secret"] = *oldSecret;
    return {};
  }
  return {{"webhooks.secret", "invalid_value",
           stored ? "is the mask of a stored secret, but this agent has no webhook secret stored; send the secret "
                    "itself"
                  : "is the mask shown in place of a secret; send the secret itself"}};
}

std::vector<FieldError> resolveMaskedSecrets(json::object& document, const json::object* stored) {
  if (auto* byEvent = webhooksByEvent(document)) return resolveMaskedEventSecret(*byEvent, stored);
  std::vector<FieldError> errors;
  auto* hooks = webhookTargets(document);
  if (!hooks) return errors;
  std::map<std::string, json::value> secrets;
  if (const auto* old = stored ? stored->if_contains("webhooks") : nullptr; old && old->is_array()) {
    const auto& list = old->as_array();
    for (size_t i = 0; i < list.size(); ++i) {
      const auto& hook = list[i].as_object();
      if (const auto* secret = hook.if_contains("secret")) secrets[storedTargetId(hook, i)] = *secret;
    }
  }
  for (size_t i = 0; i < hooks->size(); ++i) {
    auto& hook = (*hooks)[i].as_object();
    if (hook.at("secret").as_string() != kMaskedSecret) continue;
    const std::string field = "webhooks[" + std::to_string(i) + "].secret";
    const auto* id = hook.if_contains("id");
    const auto found = id ? secrets.find(std::string(id->as_string())) : secrets.end();
    if (found != secrets.end()) {
      hook["secret"] = found->second;
    } else if (!stored) {
      errors.push_back({field, "invalid_value", "is the mask shown in place of a secret; send the secret itself"});
    } else if (!id) {
      errors.push_back({field, "invalid_value",
                        "is the mask of a stored secret, but this webhook has no id to find it by; send the id it "
                        "was shown with, or the secret itself"});
    } else {
      errors.push_back({field, "invalid_value",
                        "is the mask of a stored secret, but this agent has no webhook with id '" +
                            std::string(id->as_string()) + "'; send the secret itself"});
    }
  }
  return errors;
}

// The document's new secrets sealed for storage (a server without an
// encryption key, only in tests, stores them as sent).
void sealSecrets(const RequestContext& ctx, json::object& document, const std::string& agentId) {
  if (ctx.secrets) {
    sealWebhookSecrets(document, *ctx.secrets, webhookSecretContext(ctx.teamId, agentId), kMaskedSecret, false);
  }
}

HttpResponse invalidAgent(const RequestContext& ctx, const std::vector<FieldError>& errors) {
  return errorResponse(ctx.req, status::bad_request, "invalid_agent", "the agent document is invalid", errors);
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
  if (const auto errors = resolveMaskedSecrets(in.document, nullptr); !errors.empty()) return invalidAgent(ctx, errors);
  assignWebhookIds(in.document);
  AgentRecord agent;
  const auto* id = in.document.if_contains("id");
  agent.id = id ? std::string(id->as_string()) : common::newId("agt_");
  sealSecrets(ctx, in.document, agent.id);
  agent.name = std::string(in.document.at("name").as_string());
  agent.configJson = configOf(in.document);
  agent.createdAt = agent.updatedAt = common::unixMillis();
  if (!ctx.repository.createAgent(ctx.teamId, agent)) {
    return errorResponse(ctx.req, status::conflict, "already_exists", "an agent with this id exists",
                         {{"id", "already_exists", "is taken"}});
  }
  return jsonResponse(ctx.req, status::created, agentJson(agent));
}

HttpResponse updateAgent(const RequestContext& ctx, const std::string& agentId) {
  auto in = readAgent(ctx);
  if (in.error) return *in.error;
  if (const auto* id = in.document.if_contains("id"); id && id->as_string() != agentId) {
    return errorResponse(ctx.req, status::bad_request, "invalid_agent", "the agent document is invalid",
                         {{"id", "invalid_value", "does not match the agent in the URL"}});
  }
  std::optional<int64_t> expected;
  if (const auto* v = in.document.if_contains("version")) {
    // The validator lets only integers through; read it without a conversion that could throw.
    if (!v->is_int64()) return invalidAgent(ctx, {{"version", "wrong_type", "must be an integer"}});
    expected = v->get_int64();
  }
  if (in.document.contains("webhooks")) {
    // A GET-edit-PUT round trip sends the masks back; they mean "unchanged".
    const auto stored = ctx.repository.getAgent(ctx.teamId, agentId);
    if (!stored) return notFound(ctx.req, "agent");
    const auto storedConfig = json::parse(stored->configJson).as_object();
    // New secrets sealed first; the masks then take the stored (sealed) values.
    sealSecrets(ctx, in.document, agentId);
    if (const auto errors = resolveMaskedSecrets(in.document, &storedConfig); !errors.empty()) {
      return invalidAgent(ctx, errors);
    }
    assignWebhookIds(in.document);
  }
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

// POST /v1/calls: a web call for an agent — a conversation with a trace id,
// a room, a caller token, and the agent dispatched into the room.
#include "agent_config/overrides.hpp"
#include "common/access_token.hpp"
#include "common/ids.hpp"
#include "routes.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>

namespace convox::control_api {
namespace {

// A W3C trace-context trace id: 16 random bytes, lowercase hex.
std::string newTraceId() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw StoreError("no randomness for a trace id");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

// Call parameters are name/value pairs of strings, passed to the agent as is.
std::vector<FieldError> checkParameters(const json::object& parameters) {
  std::vector<FieldError> errors;
  if (parameters.size() > 100) errors.push_back({"parameters", "too_long", "must have at most 100 entries"});
  for (const auto& [name, value] : parameters) {
    const std::string field = "parameters." + std::string(name);
    if (!isIdentifier(name, 100))
      errors.push_back({field, "invalid_value", "names may contain only letters, digits, '_' and '-'"});
    if (!value.is_string()) {
      errors.push_back({field, "wrong_type", "must be a string"});
    } else if (value.get_string().size() > 4096) {
      errors.push_back({field, "too_long", "must be at most 4096 bytes"});
    }
  }
  return errors;
}

// The seed's form of call parameters, `[{name, value}]`, as the object form
// `{name: value}` the rest of the API uses. Errors name the item.
std::vector<FieldError> normalizeParameterList(json::object& body) {
  auto* list = body.if_contains("parameters");
  if (!list || !list->is_array()) return {};
  std::vector<FieldError> errors;
  json::object parameters;
  const auto& items = list->get_array();
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string path = "parameters[" + std::to_string(i) + "]";
    const auto* item = items[i].if_object();
    const auto* name = item ? item->if_contains("name") : nullptr;
    const auto* value = item ? item->if_contains("value") : nullptr;
    if (!item || item->size() != 2 || !name || !value) {
      errors.push_back({path, "invalid_value", "must be {\"name\": ..., \"value\": ...}"});
    } else if (!name->is_string()) {
      errors.push_back({path + ".name", "wrong_type", "must be a string"});
    } else if (parameters.contains(name->get_string())) {
      errors.push_back({path + ".name", "duplicate", "names a parameter given before"});
    } else {
      parameters[name->get_string()] = *value;
    }
  }
  if (errors.empty()) *list = std::move(parameters);
  return errors;
}

// A caller's participant identity: shown to the agent and in room events, so
// plain and bounded. Letters, digits and _ - . @ : + cover user ids, e-mail
// addresses and "tenant:user" forms.
std::optional<FieldError> checkIdentity(const std::string& identity) {
  if (identity.empty()) return FieldError{"identity", "invalid_value", "must not be empty when given"};
  const bool plain = std::all_of(identity.begin(), identity.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '@' || c == ':' || c == '+';
  });
  if (!plain) {
    return FieldError{"identity", "invalid_value", "may contain only letters, digits and _ - . @ : +"};
  }
  return std::nullopt;
}

// A POST /v1/calls body, checked. The pointers point into the request body.
struct CallInput {
  std::optional<std::string> agentId;
  std::optional<std::string> identity;
  std::optional<std::string> direction;
  const json::object* parameters = nullptr;
  const json::object* overrides = nullptr;
  const json::object* retryContext = nullptr;
};

std::vector<FieldError> readCall(json::object& body, CallInput& in) {
  auto errors = normalizeParameterList(body);
  if (!errors.empty()) return errors;
  FieldReader fields(body);
  in.agentId = fields.string("agent_id", true, 64);
  in.identity = fields.string("identity", false, 128);
  in.parameters = fields.object("parameters");
  in.overrides = fields.object("overrides");
  in.retryContext = fields.object("retry_context");
  in.direction = fields.string("direction", false, 16);
  errors = fields.finish();
  if (in.direction && *in.direction != "inbound" && *in.direction != "outbound") {
    errors.push_back({"direction", "invalid_value", "must be inbound or outbound"});
  }
  auto append = [&errors](std::vector<FieldError> more) { errors.insert(errors.end(), more.begin(), more.end()); };
  if (in.retryContext) append(agent_config::validateRetryContext(*in.retryContext));
  if (in.identity) {
    if (auto problem = checkIdentity(*in.identity)) errors.push_back(std::move(*problem));
  }
  if (in.parameters) append(checkParameters(*in.parameters));
  return errors;
}

std::string callerToken(const RequestContext& ctx, const ConversationRecord& conversation,
                        const std::optional<std::string>& identity) {
  common::ClaimGrants grants;
  grants.identity = identity.value_or("caller_" + conversation.id);
  grants.kind = "standard";
  grants.attributes["convox.conversation_id"] = conversation.id;
  grants.attributes["convox.trace_id"] = conversation.traceId;
  common::VideoGrant video;
  video.room = conversation.room;
  video.roomJoin = true;
  grants.video = video;
  return common::signAccessToken(grants, ctx.calls.apiKey, ctx.calls.apiSecret, common::unixSeconds(),
                                 ctx.calls.tokenTtlSeconds);
}

// What the worker gets: which team, conversation and agent, the agent's
// effective configuration and the call's inputs.
std::string jobMetadata(const RequestContext& ctx, const ConversationRecord& conversation, const CallInput& in,
                        json::object effective) {
  effective["id"] = conversation.agentId;
  json::object metadata{{"team_id", ctx.teamId},
                        {"conversation_id", conversation.id},
                        {"trace_id", conversation.traceId},
                        {"direction", in.direction.value_or("inbound")},
                        {"agent", std::move(effective)},
                        {"parameters", json::parse(conversation.parametersJson)}};
  if (in.overrides) metadata["overrides"] = *in.overrides;
  if (in.retryContext) metadata["retry_context"] = *in.retryContext;
  return json::serialize(metadata);
}

}  // namespace

HttpResponse handleCalls(const RequestContext& ctx) {
  const auto& req = ctx.req;
  if (ctx.segments.size() != 1) return notFound(req, "route");
  if (req.method() != common::http::verb::post) return methodNotAllowed(req);
  auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
  if (body.error) return *body.error;
  CallInput in;
  if (const auto errors = readCall(body.object, in); !errors.empty()) {
    return errorResponse(req, status::bad_request, "invalid_request", "invalid call", errors);
  }
  const auto agent = ctx.repository.getAgent(ctx.teamId, *in.agentId);
  if (!agent) {
    return errorResponse(req, status::not_found, "not_found", "agent not found",
                         {{"agent_id", "not_found", "no such agent"}});
  }
  // What the worker runs: the stored configuration with the call's overrides,
  // each allowed by the agent's client_override_keys.
  // Webhooks are the control API's own business (their secrets, sealed, are
  // no longer what the schema checks): not the worker's, nor overridable.
  auto config = json::parse(agent->configJson).as_object();
  config.erase("webhooks");
  auto applied = agent_config::applyOverrides(config, in.overrides ? *in.overrides : json::object{});
  if (!applied.errors.empty()) {
    return errorResponse(req, status::bad_request, "invalid_request", "invalid call", applied.errors);
  }

  ConversationRecord conversation;
  conversation.id = common::newId("conv_");
  conversation.agentId = agent->id;
  conversation.status = "created";
  conversation.traceId = newTraceId();
  conversation.room = "call_" + conversation.id;
  conversation.parametersJson = json::serialize(in.parameters ? *in.parameters : json::object{});
  conversation.createdAt = common::unixMillis();
  ctx.repository.createConversation(ctx.teamId, conversation);
  const auto token = callerToken(ctx, conversation, in.identity);

  bool dispatched = false;
  if (ctx.calls.dispatchAgent) {
    // Dispatched under the worker's name, not the agent's: one registration
    // serves every agent, and the metadata says which one this is.
    if (const auto failure =
            ctx.calls.dispatchAgent({conversation.room, ctx.calls.workerAgentName,
                                     jobMetadata(ctx, conversation, in, std::move(applied.effective)), ctx.teamId})) {
      ctx.repository.changeStatus(ctx.teamId, conversation.id, {"failed", "dispatch failed: " + *failure, std::nullopt},
                                  common::unixMillis());
      return errorResponse(req, status::bad_gateway, "dispatch_failed",
                           "the agent could not be dispatched: " + *failure);
    }
    dispatched = true;
  }
  return jsonResponse(req, status::created,
                      {{"conversation_id", conversation.id},
                       {"trace_id", conversation.traceId},
                       {"room", conversation.room},
                       {"url", ctx.calls.publicUrl ? ctx.calls.publicUrl() : std::string()},
                       {"token", token},
                       {"agent_dispatched", dispatched}});
}

}  // namespace convox::control_api

// The seed specification's session endpoints, as aliases: a session is a
// conversation, so /v1/sessions runs the conversation and call handlers over
// the same rows, and POST /v1/agents/{id}/test is POST /v1/calls for the agent
// in the path (the playground's browser call).
#include "routes.hpp"

namespace convox::control_api {
namespace {

using common::http::verb;

// The context of the aliased route: the same team, store and settings.
RequestContext aliased(const RequestContext& ctx, const HttpRequest& req, std::vector<std::string> segments) {
  return {req, ctx.teamId, std::move(segments), ctx.repository, ctx.calls, ctx.limits, ctx.webhooks};
}

}  // namespace

HttpResponse handleSessions(const RequestContext& ctx) {
  const auto& req = ctx.req;
  const auto& s = ctx.segments;
  if (s.size() == 1) {
    // GET lists (the same filters), POST starts one: the body of POST /v1/calls.
    if (req.method() == verb::get) return handleConversations(aliased(ctx, req, {"conversations"}));
    if (req.method() == verb::post) return handleCalls(aliased(ctx, req, {"calls"}));
    return methodNotAllowed(req);
  }
  if (s.size() == 2) {
    if (req.method() == verb::get) return handleConversations(aliased(ctx, req, {"conversations", s[1]}));
    if (req.method() != verb::delete_) return methodNotAllowed(req);
    // Force-end is POST /v1/conversations/{id}/end.
    HttpRequest end = req;
    end.method(verb::post);
    return handleConversations(aliased(ctx, end, {"conversations", s[1], "end"}));
  }
  if (s.size() == 3 && (s[2] == "transcript" || s[2] == "cost")) {
    if (req.method() != verb::get) return methodNotAllowed(req);
    return handleConversations(aliased(ctx, req, {"conversations", s[1], s[2]}));
  }
  return notFound(req, "route");
}

HttpResponse handleAgentTest(const RequestContext& ctx) {
  const auto& req = ctx.req;
  if (req.method() != verb::post) return methodNotAllowed(req);
  const auto& agentId = ctx.segments[1];
  if (!isIdentifier(agentId)) return notFound(req, "agent");
  // The body is optional ({identity?, parameters?}); the agent is the path's.
  json::object call;
  if (!req.body().empty()) {
    auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
    if (body.error) return *body.error;
    if (body.object.contains("agent_id")) {
      return errorResponse(req, status::bad_request, "invalid_request", "invalid test call",
                           {{"agent_id", "unknown_field", "is the agent in the path; leave it out of the body"}});
    }
    call = std::move(body.object);
  }
  call["agent_id"] = agentId;
  HttpRequest asCall = req;
  asCall.set(common::http::field::content_type, "application/json");
  asCall.body() = json::serialize(call);
  asCall.prepare_payload();
  return handleCalls(aliased(ctx, asCall, {"calls"}));
}

}  // namespace convox::control_api

#pragma once

// The /v1 handlers, one function per resource, behind ControlApi's routing
// and authentication.

#include "api_support.hpp"
#include "control_api/control_api.hpp"
#include "control_api/webhook_sender.hpp"

namespace convox::control_api {

struct RequestContext {
  const HttpRequest& req;
  std::string teamId;
  std::vector<std::string> segments;  // the path after /v1, split at '/'
  Repository& repository;
  const CallSettings& calls;
  const ApiLimits& limits;
  WebhookSender* webhooks;             // null: no deliveries
  const SecretBox* secrets = nullptr;  // null: no encryption key configured
  bool allowPrivateNetworks = false;   // the webhooks' address policy, for provider checks
  bool jobToken = false;               // the caller is a worker's job token, not a team key
};

HttpResponse handleApiKeys(const RequestContext& ctx);
HttpResponse handleAgents(const RequestContext& ctx);
HttpResponse handleCalls(const RequestContext& ctx);
HttpResponse handleConversations(const RequestContext& ctx);
// The seed's /v1/sessions (a session is a conversation) and POST /v1/agents/{id}/test.
HttpResponse handleSessions(const RequestContext& ctx);
HttpResponse handleAgentTest(const RequestContext& ctx);
// /v1/providers: the catalogue, a team's credentials, connectivity checks.
HttpResponse handleProviders(const RequestContext& ctx);
// GET /v1/conversations/{id}/provider-credentials: the job token's read of
// the credentials its agent names.
HttpResponse handleJobCredentials(const RequestContext& ctx, const ConversationRecord& conversation);
// Sub-resources of one conversation the caller may see.
HttpResponse handleUsage(const RequestContext& ctx, const ConversationRecord& conversation);
HttpResponse handleCost(const RequestContext& ctx, const ConversationRecord& conversation);
// /v1/providers/{id}/pricing and /v1/analytics/{overview,cost,latency,providers}.
HttpResponse handlePricing(const RequestContext& ctx);
HttpResponse handleAnalytics(const RequestContext& ctx);

HttpResponse notFound(const HttpRequest& req, std::string_view what);
HttpResponse methodNotAllowed(const HttpRequest& req);
json::object conversationJson(const ConversationRecord& c);
json::object turnJson(const TurnRecord& t);

// The end_reason of a conversation ended through the API (POST …/end,
// DELETE /v1/sessions/{id}) rather than by its worker.
inline constexpr std::string_view kEndedByApi = "ended_by_api";

// The hand-written OpenAPI 3 document served at /v1/openapi.json.
const std::string& openApiDocument();

}  // namespace convox::control_api

#pragma once

// The /v1 REST API: API keys, agents, calls, conversations, turns and
// transcripts, authenticated by team API keys. Handlers run synchronously on
// the HTTP server's thread; the store calls they make are single statements.

#include "common/http_server.hpp"
#include "control_api/repository.hpp"
#include "control_api/webhook_sender.hpp"

#include <functional>
#include <optional>
#include <string>

namespace convox::control_api {

// What a call hands the agent dispatcher: the room to join and, as job
// metadata, the conversation, its trace id, the agent's config and the call
// parameters (JSON).
struct AgentDispatchRequest {
  std::string room;
  std::string agentName;
  std::string metadataJson;
};

struct CallSettings {
  std::string apiKey;  // signs callers' participant tokens (one of the server's keys)
  std::string apiSecret;
  int64_t tokenTtlSeconds = 3600;
  // The ws(s):// URL a LiveKit client connects to.
  std::function<std::string()> publicUrl;
  // Starts the agent for a room; returns an error message on failure. Unset
  // means no dispatcher: calls are created without an agent job.
  std::function<std::optional<std::string>(const AgentDispatchRequest&)> dispatchAgent;
};

struct ApiLimits {
  size_t maxBodyBytes = size_t{256} * 1024;
  int maxPageSize = 100;
};

class ControlApi {
 public:
  ControlApi(Repository& repository, CallSettings calls, ApiLimits limits = {}, WebhookDeliverySettings webhooks = {});
  ~ControlApi();

  // Serves everything under /v1/.
  void mount(common::HttpRouter& router);
  common::HttpResponse handle(const common::HttpRequest& request);

 private:
  Repository& repository_;
  CallSettings calls_;
  ApiLimits limits_;
  std::unique_ptr<WebhookSender> webhooks_;
};

// The key `convox-server --dev` creates for its dev team, the same on every start.
inline constexpr const char* kDevApiKey = "convox-dev-key";
inline constexpr const char* kDevTeamId = "team_dev";
void ensureDevTeam(Repository& repository);

}  // namespace convox::control_api

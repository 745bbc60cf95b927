#pragma once

// The /v1 REST API: API keys, agents, calls, conversations (also as the
// seed's sessions), turns and transcripts, authenticated by team API keys or,
// for one conversation's worker routes, by that call's agent job token. Handlers run on the API's own
// store threads, never on the HTTP server's io_context thread, so a slow
// database delays only /v1 requests; the store calls they make are single
// statements.

#include "common/http_server.hpp"
#include "common/jwt.hpp"
#include "control_api/repository.hpp"
#include "control_api/secret_box.hpp"
#include "control_api/webhook_sender.hpp"

#include <boost/asio/thread_pool.hpp>
#include <boost/system/result.hpp>

#include <functional>
#include <optional>
#include <string>

namespace convox::control_api {

// What a call hands the agent dispatcher: the room to join and, as job
// metadata, the team, the conversation, its trace id, the agent's config and
// the call parameters (JSON). `teamId` limits the job to platform workers and
// workers registered with that team's API key.
struct AgentDispatchRequest {
  std::string room;
  std::string agentName;
  std::string metadataJson;
  std::string teamId;
};

struct CallSettings {
  // The agent name calls are dispatched under: one worker registration
  // serves every agent (the job metadata names the agent and carries its
  // configuration). Server config agents.worker_name.
  std::string workerAgentName = "convox";
  std::string apiKey;  // signs callers' participant tokens (one of the server's keys)
  std::string apiSecret;
  int64_t tokenTtlSeconds = 3600;
  // The ws(s):// URL a LiveKit client connects to.
  std::function<std::string()> publicUrl;
  // Starts the agent for a room; returns an error message on failure. Unset
  // means no dispatcher: calls are created without an agent job. Called on a
  // store thread.
  std::function<std::optional<std::string>(const AgentDispatchRequest&)> dispatchAgent;
  // The server's API key/secret pairs, which sign the dispatcher's job tokens:
  // a worker presents its job's token on /v1 for that job's conversation.
  // Unset: only team API keys authenticate.
  common::SecretLookup jobTokenSecrets;
};

struct ApiLimits {
  size_t maxBodyBytes = size_t{256} * 1024;
  int maxPageSize = 100;
  unsigned storeThreads = 4;  // threads that run /v1 requests (and their blocking store calls)
};

// Whether the fixed dev key (kDevApiKey) authenticates: only for a server
// started with --dev. Refused, it gets a 401 saying so, even when a store
// written in dev mode still holds it.
enum class DevKey { Refused, Accepted };

// The live key a presented team API key is, under that rule, or why it
// authenticates nothing. A string that cannot be a key is refused without
// asking the store. Every place that takes team keys (/v1, /agent) asks
// here. Throws StoreError when the store cannot answer.
boost::system::result<ApiKeyInfo, std::string> authenticateTeamKey(Repository& repository, const std::string& key,
                                                                   DevKey devKey);

class ControlApi {
 public:
  // `secrets` seals and opens provider credentials; without it the
  // /v1/providers writes and the worker's credential read answer 503.
  // `webhooks.allowPrivateNetworks` also governs where POST
  // /v1/providers/{id}/test may connect.
  ControlApi(Repository& repository, CallSettings calls, ApiLimits limits = {}, WebhookDeliverySettings webhooks = {},
             DevKey devKey = DevKey::Refused, std::optional<SecretBox> secrets = std::nullopt);
  // Stops the store threads: queued requests are dropped, running ones finish.
  // Destroy the ControlApi after the server's io_context stopped running.
  ~ControlApi();
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  // Stops and joins the store threads (idempotent). Call it once the server's
  // io_context has stopped and before the HttpServer (whose routes running
  // requests still use) is destroyed.
  void stop();

  // Serves everything under /v1/ on the store threads.
  void mount(common::HttpRouter& router);
  common::HttpResponse handle(const common::HttpRequest& request);

 private:
  Repository& repository_;
  CallSettings calls_;
  ApiLimits limits_;
  std::unique_ptr<WebhookSender> webhooks_;
  DevKey devKey_;
  std::optional<SecretBox> secrets_;
  bool allowPrivateNetworks_;
  boost::asio::thread_pool storeThreads_;  // last: joined before the members its requests use go away
};

// The key `convox-server --dev` creates for its dev team, the same on every start.
inline constexpr const char* kDevApiKey = "convox-dev-key";
inline constexpr const char* kDevTeamId = "team_dev";
// Creates the dev team and its key if missing. A revoked dev key stays revoked.
void ensureDevTeam(Repository& repository);

// The demo agent of --dev (worker/demo/receptionist.json, compiled in), for
// the development team: created when its id is free, never overwritten (a
// user's edits to it stay). Returns its id; throws if the document no longer
// validates (a build whose demo and schema disagree must not start).
std::string ensureDemoAgent(Repository& repository);
// Whether the store holds the dev team's key (live or revoked): data written by a --dev server.
bool devKeyStored(Repository& repository);

}  // namespace convox::control_api

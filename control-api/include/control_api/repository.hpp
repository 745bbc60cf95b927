#pragma once

// Convox's stored state: teams, API keys, agents, conversations and turns.
// Every row carries its team's id and every read or write names the team, so
// no call can reach another team's rows. Written once over SqlConnection, so
// SQLite and PostgreSQL run the same SQL.

#include "control_api/sql_connection.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace convox::control_api {

struct ApiKeyInfo {
  std::string id;
  std::string teamId;
  std::string name;
  std::string prefix;  // the key's first characters, to tell keys apart in a list
  int64_t createdAt = 0;
  std::optional<int64_t> revokedAt;
};

struct CreatedApiKey {
  ApiKeyInfo info;
  std::string secret;  // the key itself: returned once, stored only as a hash
};

struct AgentRecord {
  std::string id;
  std::string name;
  int64_t version = 1;
  std::string configJson;  // the validated agent document without id/version/timestamps
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
};

struct ConversationRecord {
  std::string id;
  std::string agentId;
  std::string status;  // created, in_progress, ended, failed
  std::string traceId;
  std::string room;
  std::string parametersJson = "{}";
  std::string resultsJson = "{}";
  std::optional<std::string> error;
  // Why it ended or failed (e.g. user_hangup, silence_timeout, api_end);
  // none while live and for conversations ended before reasons were kept.
  std::optional<std::string> endReason = std::nullopt;
  int64_t createdAt = 0;
  std::optional<int64_t> startedAt;
  std::optional<int64_t> endedAt;
};

// When each stage of a turn happened, unix ms, as the worker measured them;
// any may be missing (a typed message has no speech, an interrupted reply no
// playout end).
struct TurnTimings {
  std::optional<int64_t> userSpeechStart;
  std::optional<int64_t> userSpeechEnd;
  std::optional<int64_t> vadEnd;    // the VAD declared the end of speech
  std::optional<int64_t> sttFinal;  // the final transcript arrived
  std::optional<int64_t> llmFirstToken;
  std::optional<int64_t> ttsFirstAudio;
  std::optional<int64_t> firstPacketOut;  // the first RTP packet of the reply left
  std::optional<int64_t> playoutEnd;
};

// A provider's trouble during a turn, as the worker reports it: the
// provider failed, timed out, or was left for the next in its stage's list.
struct ProviderEvent {
  std::string stage;     // stt | llm | tts
  std::string provider;  // the one that failed or was left
  std::string event;     // error | timeout | fallback
  std::optional<std::string> reason = std::nullopt;
  std::optional<std::string> to = std::nullopt;  // fallback: the provider that took over
};

// Which provider served each stage of a turn (empty: not named).
struct TurnProviders {
  std::string stt;
  std::string llm;
  std::string tts;
};

struct TurnRecord {
  std::string turnId;
  std::string role;  // user | agent
  std::string text;  // empty when redacted
  int64_t startedAt = 0;
  bool interrupted = false;
  // The recognizer's confidence in millionths (0..1e6): integers, so both
  // stores give back what was stored. User turns only.
  std::optional<int64_t> confidenceMicros = std::nullopt;
  std::optional<std::string> language = std::nullopt;  // BCP 47, e.g. hi-IN
  TurnTimings timings = {};
  bool redacted = false;  // the agent does not log transcripts: the text was not stored
  TurnProviders providers = {};
  std::vector<ProviderEvent> providerEvents = {};
};

// One webhook delivery attempt, as the delivery log keeps it.
struct WebhookDeliveryRecord {
  std::string id;  // the delivery; its attempts share it
  std::string conversationId;
  std::string event;
  std::string url;
  int64_t attempt = 0;
  std::optional<int64_t> statusCode;  // none when no response arrived
  std::optional<std::string> error;
  bool delivered = false;
  int64_t createdAt = 0;
};

// One metered use of a provider during a conversation, as the worker reports
// it. Amounts are integers in millionths (of the unit, of a US dollar) so
// sums are exact on both stores.
struct UsageRecord {
  std::string usageId;   // chosen by the reporter: a repeat is stored once
  std::string stage;     // stt, llm, tts, vad, transport, telephony, platform, other
  std::string provider;  // e.g. deepgram, openai
  std::string model;     // empty when the provider has none
  std::string unit;      // audio_seconds, input_tokens, output_tokens, characters, requests, minutes
  int64_t quantityMicros = 0;
  std::optional<int64_t> costMicroUsd;  // none: neither the reporter nor the price table priced it
  int64_t recordedAt = 0;
  // "reported" (the worker sent the cost), "price_table" (priced at insert),
  // or empty (unpriced, or stored before costs had a source).
  std::string costSource = {};
  // The quantity is the reporter's estimate, not the provider's count (an
  // LLM reply cut before its usage came); false for rows stored before
  // migration 7.
  bool estimated = false;
};

// A price: `priceNanoUsd` US nano-dollars per `perUnits` of the unit (60
// audio_seconds = a minute, 1000 tokens), kept as given so that no
// conversion rounds; a record's cost is rounded once, to micro-dollars.
struct Price {
  std::string provider;
  std::string model;  // "*": any model of the provider
  std::string unit;   // the usage unit it prices
  int64_t priceNanoUsd = 0;
  int64_t perUnits = 1;
};

// Analytics read a team's rows in [from, to) (unix ms), optionally one agent's.
struct AnalyticsRange {
  int64_t from = 0;
  int64_t to = 0;
  std::optional<std::string> agentId;
};

// One aggregated row per group the query asked for: its key columns (as
// text) and integer measures, in the query's order.
struct AggregateRow {
  std::vector<std::string> keys;
  std::vector<int64_t> values;
};

// A team's credential for one provider. The key is stored sealed (see
// secret_box.hpp); the repository never sees it in clear.
struct ProviderCredentialRecord {
  std::string provider;
  std::optional<std::string> sealedKey;  // none: the provider takes no key, or none was given
  std::optional<std::string> keyHint;    // the key's last characters, for lists
  std::optional<std::string> baseUrl;    // none: the provider's default
  std::string configJson = "{}";         // non-secret settings (region, ...)
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
};

// Position after the last row of a page: conversations are listed newest first.
struct ConversationCursor {
  int64_t createdAt = 0;
  std::string id;
};

struct ConversationFilter {
  std::optional<std::string> agentId;
  std::optional<std::string> status;
  std::optional<int64_t> createdFrom;   // inclusive, unix ms
  std::optional<int64_t> createdUntil;  // exclusive, unix ms
  std::optional<ConversationCursor> after;
  int limit = 50;
};

struct StatusChange {
  std::string status;
  std::optional<std::string> error;
  std::optional<std::string> resultsJson;
  std::optional<std::string> endReason = std::nullopt;  // kept only by the move to ended or failed
};

// A conversation found by its room, whatever its team: what a job token
// (which names a room, not a team) is checked against.
struct ConversationInTeam {
  std::string teamId;
  ConversationRecord conversation;
};

enum class UpdateFailure { NotFound, VersionConflict };

class Repository {
 public:
  // Applies pending migrations before returning.
  explicit Repository(std::unique_ptr<SqlConnection> connection);

  int schemaVersion();
  std::string backendName() const { return sql_->backendName(); }

  // Teams and keys.
  std::string createTeam(const std::string& name);
  // Creates the team and the key if missing; a no-op when they exist (a
  // revoked key stays revoked).
  void ensureTeamWithKey(const std::string& teamId, const std::string& teamName, const std::string& keyId,
                         const std::string& secret);
  CreatedApiKey createApiKey(const std::string& teamId, const std::string& name);
  std::optional<ApiKeyInfo> authenticate(const std::string& secret);  // live keys only
  std::vector<ApiKeyInfo> listApiKeys(const std::string& teamId);
  bool revokeApiKey(const std::string& teamId, const std::string& keyId, int64_t now);

  // Agents.
  bool createAgent(const std::string& teamId, const AgentRecord& agent);  // false: the id is taken
  std::optional<AgentRecord> getAgent(const std::string& teamId, const std::string& agentId);
  std::vector<AgentRecord> listAgents(const std::string& teamId);
  // Replaces name and config; with expectedVersion, only if it is still current.
  std::variant<AgentRecord, UpdateFailure> updateAgent(const std::string& teamId, const std::string& agentId,
                                                       const std::string& name, const std::string& configJson,
                                                       std::optional<int64_t> expectedVersion, int64_t now);
  bool deleteAgent(const std::string& teamId, const std::string& agentId);
  // Every team's agents whose stored document contains `text` (a cheap
  // prefilter for maintenance passes), with their team.
  std::vector<std::pair<std::string, AgentRecord>> findAgentsContaining(const std::string& text);
  // Rewrites an agent's stored document in place (same version): for
  // changes of representation only, such as sealing its secrets. False when
  // the agent changed since `expectedVersion` or is gone.
  bool rewriteAgentConfig(const std::string& teamId, const std::string& agentId, int64_t expectedVersion,
                          const std::string& configJson);

  // Conversations and turns.
  void createConversation(const std::string& teamId, const ConversationRecord& conversation);
  std::optional<ConversationRecord> getConversation(const std::string& teamId, const std::string& conversationId);
  // Not team-scoped: only for authenticating a job token by its room.
  std::optional<ConversationInTeam> findConversationByRoom(const std::string& room);
  std::vector<ConversationRecord> listConversations(const std::string& teamId, const ConversationFilter& filter);
  std::optional<ConversationRecord> changeStatus(const std::string& teamId, const std::string& conversationId,
                                                 const StatusChange& change, int64_t now);
  // Stores the turn unless one with its id exists; true when stored now.
  // `agentId` is the conversation's, kept on the row for the analytics.
  bool addTurn(const std::string& teamId, const std::string& conversationId, const TurnRecord& turn, int64_t now,
               const std::string& agentId = "");
  std::vector<TurnRecord> listTurns(const std::string& teamId, const std::string& conversationId);

  // Usage; true when stored now, false when a record with its id exists.
  bool addUsage(const std::string& teamId, const std::string& conversationId, const UsageRecord& usage,
                const std::string& agentId = "");
  std::vector<UsageRecord> listUsage(const std::string& teamId, const std::string& conversationId);

  // Prices: the team's own rows (the built-in defaults are not stored).
  std::vector<Price> listTeamPrices(const std::string& teamId, const std::string& provider);
  // The team's rows for (provider, model or "*", unit), exact model first.
  std::vector<Price> findTeamPrices(const std::string& teamId, const std::string& provider, const std::string& model,
                                    const std::string& unit);
  void setTeamPrice(const std::string& teamId, const Price& price, int64_t now);
  bool deleteTeamPrice(const std::string& teamId, const std::string& provider, const std::string& model,
                       const std::string& unit);

  // Analytics aggregates over a range (see analytics_queries.cpp).
  // Conversations created in range by status: keys {status}, values {count, ended ms}.
  std::vector<AggregateRow> conversationsByStatus(const std::string& teamId, const AnalyticsRange& range);
  // Usage recorded in range per bucket: keys {bucket start, stage, provider,
  // model, unit}, values {cost micro-USD, records, unpriced records,
  // quantity micros, cost micro-USD of the estimated records, estimated records}.
  std::vector<AggregateRow> costByBucket(const std::string& teamId, const AnalyticsRange& range, int64_t bucketMs);
  // Agent turns in range: keys {provider or "", latency ms}, values {count},
  // for stage stt, llm, tts or voice_to_voice.
  std::vector<AggregateRow> latencyHistogram(const std::string& teamId, const AnalyticsRange& range,
                                             const std::string& stage);
  // Agent turns in range naming a provider: keys {stage, provider}, values {turns}.
  std::vector<AggregateRow> turnsByProvider(const std::string& teamId, const AnalyticsRange& range);
  // Provider events in range: keys {stage, provider, event}, values {count}.
  std::vector<AggregateRow> providerEventCounts(const std::string& teamId, const AnalyticsRange& range);
  // Provider credentials. put() creates or replaces the team's row for the
  // provider (keeping its created_at).
  void putProviderCredential(const std::string& teamId, const ProviderCredentialRecord& credential);
  std::optional<ProviderCredentialRecord> getProviderCredential(const std::string& teamId, const std::string& provider);
  std::vector<ProviderCredentialRecord> listProviderCredentials(const std::string& teamId);
  bool deleteProviderCredential(const std::string& teamId, const std::string& provider);

  // Webhook delivery log.
  void recordDelivery(const std::string& teamId, const WebhookDeliveryRecord& attempt);
  std::vector<WebhookDeliveryRecord> listDeliveries(const std::string& teamId, const std::string& conversationId);

 private:
  void migrate();

  std::unique_ptr<SqlConnection> sql_;
};

// SHA-256 of the key, hex: what the store keeps instead of the key.
std::string hashApiKey(const std::string& secret);
// Whether `key` has the shape of the keys this store issues ("cvx_" and 48
// letters or digits); anything else is refused without a look-up.
bool looksLikeApiKey(std::string_view key);

}  // namespace convox::control_api

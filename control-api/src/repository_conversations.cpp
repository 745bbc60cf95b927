// Conversations and their turns.
#include "control_api/repository.hpp"
#include "row_reader.hpp"
#include "turn_timings.hpp"

#include <algorithm>

namespace convox::control_api {
namespace {

constexpr const char* kConversationColumns =
    "id, agent_id, status, trace_id, room, parameters, results, error, created_at, started_at, ended_at, "
    "end_reason";

ConversationRecord readConversation(const SqlRow& row) {
  RowReader r(row);
  ConversationRecord c;
  c.id = r.text();
  c.agentId = r.text();
  c.status = r.text();
  c.traceId = r.text();
  c.room = r.text();
  c.parametersJson = r.text();
  c.resultsJson = r.text();
  c.error = r.optionalText();
  c.createdAt = r.integer();
  c.startedAt = r.optionalInteger();
  c.endedAt = r.optionalInteger();
  c.endReason = r.optionalText();
  return c;
}

SqlValue optionalNumber(const std::optional<int64_t>& v) { return v ? SqlValue(std::to_string(*v)) : std::nullopt; }

// The timing columns, in kTurnStages order.
std::string timingColumns() {
  std::string out;
  for (const auto& stage : kTurnStages) out += ", " + std::string(stage.name) + "_at";
  return out;
}

}  // namespace

void Repository::createConversation(const std::string& teamId, const ConversationRecord& c) {
  sql_->query(
      "INSERT INTO conversations (team_id, id, agent_id, status, trace_id, room, parameters, results, error, "
      "created_at, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {teamId, c.id, c.agentId, c.status, c.traceId, c.room, c.parametersJson, c.resultsJson, c.error,
       std::to_string(c.createdAt), optionalNumber(c.startedAt), optionalNumber(c.endedAt)});
}

std::optional<ConversationRecord> Repository::getConversation(const std::string& teamId,
                                                              const std::string& conversationId) {
  const auto rows =
      sql_->query(std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE team_id = $1 AND id = $2",
                  {teamId, conversationId});
  if (rows.empty()) return std::nullopt;
  return readConversation(rows[0]);
}

std::optional<ConversationInTeam> Repository::findConversationByRoom(const std::string& room) {
  // Rooms are call_<conversation id> and ids are random, so one row at most;
  // two would mean a room no token can be trusted for.
  const auto rows = sql_->query(
      std::string("SELECT team_id, ") + kConversationColumns + " FROM conversations WHERE room = $1 LIMIT 2", {room});
  if (rows.size() != 1) return std::nullopt;
  SqlRow rest(rows[0].begin() + 1, rows[0].end());
  return ConversationInTeam{rows[0][0].value_or(""), readConversation(rest)};
}

std::vector<ConversationRecord> Repository::listConversations(const std::string& teamId,
                                                              const ConversationFilter& filter) {
  // Absent filters are NULL parameters that make their clause true, so one
  // statement text (prepared once) serves every combination.
  const std::string sql = std::string("SELECT ") + kConversationColumns +
                          " FROM conversations WHERE team_id = $1"
                          " AND (CAST($2 AS TEXT) IS NULL OR agent_id = CAST($2 AS TEXT))"
                          " AND (CAST($3 AS TEXT) IS NULL OR status = CAST($3 AS TEXT))"
                          " AND (CAST($4 AS BIGINT) IS NULL OR created_at >= CAST($4 AS BIGINT))"
                          " AND (CAST($5 AS BIGINT) IS NULL OR created_at < CAST($5 AS BIGINT))"
                          " AND (CAST($6 AS BIGINT) IS NULL OR created_at < CAST($6 AS BIGINT)"
                          "      OR (created_at = CAST($6 AS BIGINT) AND id < CAST($7 AS TEXT)))"
                          " ORDER BY created_at DESC, id DESC LIMIT " +
                          std::to_string(filter.limit);
  std::vector<ConversationRecord> out;
  for (const auto& row :
       sql_->query(sql, {teamId, filter.agentId, filter.status, optionalNumber(filter.createdFrom),
                         optionalNumber(filter.createdUntil),
                         filter.after ? SqlValue(std::to_string(filter.after->createdAt)) : std::nullopt,
                         filter.after ? SqlValue(filter.after->id) : std::nullopt})) {
    out.push_back(readConversation(row));
  }
  return out;
}

std::optional<ConversationRecord> Repository::changeStatus(const std::string& teamId, const std::string& conversationId,
                                                           const StatusChange& change, int64_t now) {
  // started_at is set by the first move to in_progress, ended_at by the first
  // move to a final state; a final conversation never changes again.
  const auto rows = sql_->query(
      std::string("UPDATE conversations SET status = $3,"
                  " error = COALESCE($4, error),"
                  " results = COALESCE($5, results),"
                  " started_at = CASE WHEN started_at IS NULL AND $3 = 'in_progress' THEN CAST($6 AS BIGINT)"
                  "   ELSE started_at END,"
                  " ended_at = CASE WHEN $3 IN ('ended', 'failed') THEN CAST($6 AS BIGINT) ELSE ended_at END,"
                  " end_reason = CASE WHEN $3 IN ('ended', 'failed') THEN CAST($7 AS TEXT) ELSE end_reason END"
                  " WHERE team_id = $1 AND id = $2 AND status NOT IN ('ended', 'failed') RETURNING ") +
          kConversationColumns,
      {teamId, conversationId, change.status, change.error, change.resultsJson, std::to_string(now), change.endReason});
  if (!rows.empty()) return readConversation(rows[0]);
  return std::nullopt;
}

namespace {

// A stage's latency from two timestamps, when both were reported.
SqlValue between(const std::optional<int64_t>& from, const std::optional<int64_t>& to) {
  return from && to ? SqlValue(std::to_string(*to - *from)) : std::nullopt;
}
SqlValue optionalText(const std::string& s) { return s.empty() ? std::nullopt : SqlValue(s); }

}  // namespace

bool Repository::addTurn(const std::string& teamId, const std::string& conversationId, const TurnRecord& turn,
                         int64_t now, const std::string& agentId) {
  const auto& t = turn.timings;
  // The analytics read these columns instead of recomputing them per query.
  std::vector<SqlValue> values{teamId,
                               conversationId,
                               turn.turnId,
                               turn.role,
                               turn.text,
                               std::to_string(turn.startedAt),
                               turn.interrupted ? "1" : "0",
                               std::to_string(now),
                               optionalNumber(turn.confidenceMicros),
                               turn.language,
                               turn.redacted ? "1" : "0",
                               optionalText(agentId),
                               optionalText(turn.providers.stt),
                               optionalText(turn.providers.llm),
                               optionalText(turn.providers.tts),
                               between(t.userSpeechEnd, t.sttFinal),
                               between(t.sttFinal, t.llmFirstToken),
                               between(t.llmFirstToken, t.ttsFirstAudio),
                               between(t.userSpeechEnd, t.firstPacketOut)};
  std::string placeholders;
  for (size_t i = 1; i <= values.size() + kTurnStages.size(); ++i) {
    placeholders += (i == 1 ? "$" : ", $") + std::to_string(i);
  }
  for (const auto& stage : kTurnStages) values.push_back(optionalNumber(turn.timings.*stage.field));
  const bool stored =
      !sql_->query(
               "INSERT INTO turns (team_id, conversation_id, turn_id, role, text, started_at, interrupted, "
               "created_at, confidence_micros, language, redacted, agent_id, stt_provider, llm_provider, "
               "tts_provider, stt_ms, llm_ms, tts_ms, voice_to_voice_ms" +
                   timingColumns() + ") VALUES (" + placeholders +
                   ") ON CONFLICT (team_id, conversation_id, turn_id) DO NOTHING RETURNING turn_id",
               values)
           .empty();
  if (turn.providerEvents.empty()) return stored;
  // One statement for all of the turn's events. Also run when the turn was
  // there already: a retry after a failure between the two statements then
  // completes the events, and a repeat of stored ones changes nothing.
  std::string sql =
      "INSERT INTO turn_provider_events (team_id, conversation_id, turn_id, seq, agent_id, at, stage, provider, event, "
      "reason, to_provider) VALUES ";
  std::vector<SqlValue> params{teamId, conversationId, turn.turnId, optionalText(agentId),
                               std::to_string(turn.startedAt)};
  for (size_t i = 0; i < turn.providerEvents.size(); ++i) {
    const auto& e = turn.providerEvents[i];
    const auto n = params.size();
    const auto p = [&](size_t k) { return "$" + std::to_string(n + k); };
    sql += std::string(i ? ", " : "") + "($1, $2, $3, " + p(1) + ", $4, $5, " + p(2) + ", " + p(3) + ", " + p(4) +
           ", " + p(5) + ", " + p(6) + ")";
    params.insert(params.end(), {std::to_string(i), e.stage, e.provider, e.event, e.reason, e.to});
  }
  sql += " ON CONFLICT (team_id, conversation_id, turn_id, seq) DO NOTHING";
  sql_->query(sql, params);
  return stored;
}

std::vector<TurnRecord> Repository::listTurns(const std::string& teamId, const std::string& conversationId) {
  std::vector<TurnRecord> out;
  for (const auto& row : sql_->query(
           "SELECT turn_id, role, text, started_at, interrupted, confidence_micros, language, redacted, stt_provider, "
           "llm_provider, tts_provider" +
               timingColumns() + " FROM turns WHERE team_id = $1 AND conversation_id = $2 ORDER BY started_at, turn_id",
           {teamId, conversationId})) {
    RowReader r(row);
    TurnRecord t;
    t.turnId = r.text();
    t.role = r.text();
    t.text = r.text();
    t.startedAt = r.integer();
    t.interrupted = r.integer() != 0;
    t.confidenceMicros = r.optionalInteger();
    t.language = r.optionalText();
    t.redacted = r.integer() != 0;
    t.providers.stt = r.text();
    t.providers.llm = r.text();
    t.providers.tts = r.text();
    for (const auto& stage : kTurnStages) t.timings.*stage.field = r.optionalInteger();
    out.push_back(std::move(t));
  }
  // The events of all turns in one query, attached in their order.
  const auto events = sql_->query(
      "SELECT turn_id, stage, provider, event, reason, to_provider FROM turn_provider_events "
      "WHERE team_id = $1 AND conversation_id = $2 ORDER BY turn_id, seq",
      {teamId, conversationId});
  for (const auto& row : events) {
    RowReader r(row);
    const auto turnId = r.text();
    ProviderEvent e;
    e.stage = r.text();
    e.provider = r.text();
    e.event = r.text();
    e.reason = r.optionalText();
    e.to = r.optionalText();
    const auto it = std::find_if(out.begin(), out.end(), [&](const TurnRecord& t) { return t.turnId == turnId; });
    if (it != out.end()) it->providerEvents.push_back(std::move(e));
  }
  return out;
}

void Repository::recordDelivery(const std::string& teamId, const WebhookDeliveryRecord& a) {
  sql_->query(
      "INSERT INTO webhook_deliveries (team_id, id, attempt, conversation_id, event, url, status_code, error, "
      "delivered, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {teamId, a.id, std::to_string(a.attempt), a.conversationId, a.event, a.url, optionalNumber(a.statusCode), a.error,
       a.delivered ? "1" : "0", std::to_string(a.createdAt)});
}

std::vector<WebhookDeliveryRecord> Repository::listDeliveries(const std::string& teamId,
                                                              const std::string& conversationId) {
  std::vector<WebhookDeliveryRecord> out;
  for (const auto& row : sql_->query("SELECT id, conversation_id, event, url, attempt, status_code, error, delivered, "
                                     "created_at FROM webhook_deliveries WHERE team_id = $1 AND conversation_id = $2 "
                                     "ORDER BY created_at, id, attempt",
                                     {teamId, conversationId})) {
    RowReader r(row);
    WebhookDeliveryRecord d;
    d.id = r.text();
    d.conversationId = r.text();
    d.event = r.text();
    d.url = r.text();
    d.attempt = r.integer();
    d.statusCode = r.optionalInteger();
    d.error = r.optionalText();
    d.delivered = r.integer() != 0;
    d.createdAt = r.integer();
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace convox::control_api

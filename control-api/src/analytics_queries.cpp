// The analytics aggregates. Each is one GROUP BY over a team's rows in a time
// range, read through the (team_id, time) indexes of migration 6 (the usage
// one rebuilt with `estimated` by migration 7); the work per row was done at
// insert (stage latencies, providers, agent), so the queries only count and
// sum. Percentiles are computed by the caller from
// (value, count) histograms: exact, on both stores, without moving every row.
#include "control_api/repository.hpp"
#include "row_reader.hpp"

namespace convox::control_api {
namespace {

// "WHERE team = $1 AND <time> in [$2, $3)" and, for one agent, "AND agent_id = $4".
// Two statement texts rather than "$4 IS NULL OR ...", so the planner can
// use the index either way.
std::string rangeClause(const std::string& timeColumn, const AnalyticsRange& range) {
  std::string out =
      " WHERE team_id = $1 AND " + timeColumn + " >= CAST($2 AS BIGINT) AND " + timeColumn + " < CAST($3 AS BIGINT)";
  if (range.agentId) out += " AND agent_id = $4";
  return out;
}

std::vector<SqlValue> rangeParams(const std::string& teamId, const AnalyticsRange& range) {
  std::vector<SqlValue> out{teamId, std::to_string(range.from), std::to_string(range.to)};
  if (range.agentId) out.emplace_back(*range.agentId);
  return out;
}

std::vector<AggregateRow> read(const std::vector<SqlRow>& rows, size_t keys) {
  std::vector<AggregateRow> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    RowReader r(row);
    AggregateRow a;
    for (size_t i = 0; i < keys; ++i) a.keys.push_back(r.text());
    for (size_t i = keys; i < row.size(); ++i) a.values.push_back(r.integer());
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

std::vector<AggregateRow> Repository::conversationsByStatus(const std::string& teamId, const AnalyticsRange& range) {
  return read(sql_->query("SELECT status, COUNT(*), COALESCE(SUM(CASE WHEN started_at IS NOT NULL AND ended_at IS NOT "
                          "NULL THEN ended_at - started_at ELSE 0 END), 0) FROM conversations" +
                              rangeClause("created_at", range) + " GROUP BY status ORDER BY status",
                          rangeParams(teamId, range)),
              1);
}

std::vector<AggregateRow> Repository::costByBucket(const std::string& teamId, const AnalyticsRange& range,
                                                   int64_t bucketMs) {
  const auto bucket = std::to_string(bucketMs);
  return read(sql_->query("SELECT (recorded_at / " + bucket + ") * " + bucket +
                              ", stage, provider, model, unit, COALESCE(SUM(cost_micro_usd), 0), COUNT(*), "
                              "COUNT(*) - COUNT(cost_micro_usd), COALESCE(SUM(quantity_micros), 0), "
                              "COALESCE(SUM(CASE WHEN estimated <> 0 THEN cost_micro_usd END), 0), "
                              "COALESCE(SUM(estimated), 0) FROM usage_records" +
                              rangeClause("recorded_at", range) + " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
                          rangeParams(teamId, range)),
              5);
}

std::vector<AggregateRow> Repository::latencyHistogram(const std::string& teamId, const AnalyticsRange& range,
                                                       const std::string& stage) {
  // Agent turns only: an agent turn reports the whole exchange (the user's
  // speech end included), so each exchange is counted once.
  const std::string where = rangeClause("started_at", range) + " AND role = 'agent'";
  if (stage == "voice_to_voice") {
    auto rows = read(sql_->query("SELECT voice_to_voice_ms, COUNT(*) FROM turns" + where +
                                     " AND voice_to_voice_ms IS NOT NULL GROUP BY voice_to_voice_ms",
                                 rangeParams(teamId, range)),
                     0);
    for (auto& r : rows) r.keys = {""};
    return rows;
  }
  if (stage != "stt" && stage != "llm" && stage != "tts") throw StoreError("no latency column for stage " + stage);
  const auto column = stage + "_ms";
  const auto provider = stage + "_provider";
  return read(sql_->query("SELECT COALESCE(" + provider + ", ''), " + column + ", COUNT(*) FROM turns" + where +
                              " AND " + column + " IS NOT NULL GROUP BY " + provider + ", " + column,
                          rangeParams(teamId, range)),
              1);
}

std::vector<AggregateRow> Repository::turnsByProvider(const std::string& teamId, const AnalyticsRange& range) {
  const std::string where = rangeClause("started_at", range) + " AND role = 'agent'";
  std::string sql;
  for (const std::string stage : {"stt", "llm", "tts"}) {
    if (!sql.empty()) sql += " UNION ALL ";
    const std::string provider = stage + "_provider";
    sql += "SELECT CAST('";
    sql += stage;
    sql += "' AS TEXT), ";
    sql += provider;
    sql += ", COUNT(*) FROM turns";
    sql += where;
    sql += " AND ";
    sql += provider;
    sql += " IS NOT NULL GROUP BY ";
    sql += provider;
  }
  return read(sql_->query(sql, rangeParams(teamId, range)), 2);
}

std::vector<AggregateRow> Repository::providerEventCounts(const std::string& teamId, const AnalyticsRange& range) {
  return read(sql_->query("SELECT stage, provider, event, COUNT(*) FROM turn_provider_events" +
                              rangeClause("at", range) + " GROUP BY stage, provider, event",
                          rangeParams(teamId, range)),
              3);
}

}  // namespace convox::control_api

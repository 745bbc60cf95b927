// Usage records: what a conversation used of each provider, and what it cost.
#include "control_api/repository.hpp"
#include "row_reader.hpp"

namespace convox::control_api {

bool Repository::addUsage(const std::string& teamId, const std::string& conversationId, const UsageRecord& u,
                          const std::string& agentId) {
  return !sql_->query(
                  "INSERT INTO usage_records (team_id, conversation_id, usage_id, stage, provider, model, unit, "
                  "quantity_micros, cost_micro_usd, recorded_at, agent_id, cost_source, estimated) VALUES ($1, $2, "
                  "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
                  "ON CONFLICT (team_id, conversation_id, usage_id) DO NOTHING RETURNING usage_id",
                  {teamId, conversationId, u.usageId, u.stage, u.provider, u.model, u.unit,
                   std::to_string(u.quantityMicros),
                   u.costMicroUsd ? SqlValue(std::to_string(*u.costMicroUsd)) : std::nullopt,
                   std::to_string(u.recordedAt), agentId.empty() ? std::nullopt : SqlValue(agentId),
                   u.costSource.empty() ? std::nullopt : SqlValue(u.costSource), u.estimated ? "1" : "0"})
              .empty();
}

std::vector<UsageRecord> Repository::listUsage(const std::string& teamId, const std::string& conversationId) {
  std::vector<UsageRecord> out;
  for (const auto& row : sql_->query(
           "SELECT usage_id, stage, provider, model, unit, quantity_micros, cost_micro_usd, recorded_at, cost_source, "
           "estimated FROM usage_records WHERE team_id = $1 AND conversation_id = $2 ORDER BY recorded_at, usage_id",
           {teamId, conversationId})) {
    RowReader r(row);
    UsageRecord u;
    u.usageId = r.text();
    u.stage = r.text();
    u.provider = r.text();
    u.model = r.text();
    u.unit = r.text();
    u.quantityMicros = r.integer();
    u.costMicroUsd = r.optionalInteger();
    u.recordedAt = r.integer();
    u.costSource = r.text();
    u.estimated = r.integer() != 0;
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<Price> Repository::listTeamPrices(const std::string& teamId, const std::string& provider) {
  std::vector<Price> out;
  for (const auto& row : sql_->query("SELECT provider, model, unit, price_nano_usd, per_units FROM provider_prices "
                                     "WHERE team_id = $1 AND provider = $2 ORDER BY model, unit",
                                     {teamId, provider})) {
    RowReader r(row);
    Price p;
    p.provider = r.text();
    p.model = r.text();
    p.unit = r.text();
    p.priceNanoUsd = r.integer();
    p.perUnits = r.integer();
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Price> Repository::findTeamPrices(const std::string& teamId, const std::string& provider,
                                              const std::string& model, const std::string& unit) {
  std::vector<Price> out;
  // The exact model before the provider's "*".
  for (const auto& row : sql_->query("SELECT provider, model, unit, price_nano_usd, per_units FROM provider_prices "
                                     "WHERE team_id = $1 AND provider = $2 AND unit = $4 AND model IN ($3, '*') "
                                     "ORDER BY CASE WHEN model = '*' THEN 1 ELSE 0 END",
                                     {teamId, provider, model, unit})) {
    RowReader r(row);
    Price p;
    p.provider = r.text();
    p.model = r.text();
    p.unit = r.text();
    p.priceNanoUsd = r.integer();
    p.perUnits = r.integer();
    out.push_back(std::move(p));
  }
  return out;
}

void Repository::setTeamPrice(const std::string& teamId, const Price& p, int64_t now) {
  sql_->query(
      "INSERT INTO provider_prices (team_id, provider, model, unit, price_nano_usd, per_units, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (team_id, provider, model, unit) DO UPDATE SET "
      "price_nano_usd = excluded.price_nano_usd, per_units = excluded.per_units, updated_at = excluded.updated_at",
      {teamId, p.provider, p.model, p.unit, std::to_string(p.priceNanoUsd), std::to_string(p.perUnits),
       std::to_string(now)});
}

bool Repository::deleteTeamPrice(const std::string& teamId, const std::string& provider, const std::string& model,
                                 const std::string& unit) {
  return !sql_->query(
                  "DELETE FROM provider_prices WHERE team_id = $1 AND provider = $2 AND model = $3 AND unit = $4 "
                  "RETURNING model",
                  {teamId, provider, model, unit})
              .empty();
}

}  // namespace convox::control_api

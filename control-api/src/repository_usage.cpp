// Usage records: what a conversation used of each provider, and what it cost.
#include "control_api/repository.hpp"
#include "row_reader.hpp"

namespace convox::control_api {

bool Repository::addUsage(const std::string& teamId, const std::string& conversationId, const UsageRecord& u) {
  return !sql_->query(
                  "INSERT INTO usage_records (team_id, conversation_id, usage_id, stage, provider, model, unit, "
                  "quantity_micros, cost_micro_usd, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                  "ON CONFLICT (team_id, conversation_id, usage_id) DO NOTHING RETURNING usage_id",
                  {teamId, conversationId, u.usageId, u.stage, u.provider, u.model, u.unit,
                   std::to_string(u.quantityMicros),
                   u.costMicroUsd ? SqlValue(std::to_string(*u.costMicroUsd)) : std::nullopt,
                   std::to_string(u.recordedAt)})
              .empty();
}

std::vector<UsageRecord> Repository::listUsage(const std::string& teamId, const std::string& conversationId) {
  std::vector<UsageRecord> out;
  for (const auto& row :
       sql_->query("SELECT usage_id, stage, provider, model, unit, quantity_micros, cost_micro_usd, recorded_at "
                   "FROM usage_records WHERE team_id = $1 AND conversation_id = $2 ORDER BY recorded_at, usage_id",
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
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace convox::control_api

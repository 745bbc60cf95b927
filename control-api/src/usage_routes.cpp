// /v1/conversations/{id}/usage (the worker reports what it used of each
// provider, marking what it estimated; idempotent on usage_id) and
// /v1/conversations/{id}/cost (those records summed by stage and by
// provider, with the part that is estimated).
#include "common/ids.hpp"
#include "price_table.hpp"
#include "routes.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace convox::control_api {
namespace {

constexpr std::array<std::string_view, 8> kStages{"stt",       "llm",       "tts",      "vad",
                                                  "transport", "telephony", "platform", "other"};
constexpr std::array<std::string_view, 6> kUnits{"audio_seconds", "input_tokens", "output_tokens",
                                                 "characters",    "requests",     "minutes"};

template <size_t N>
bool oneOf(const std::array<std::string_view, N>& allowed, const std::string& value) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

template <size_t N>
std::string listed(const std::array<std::string_view, N>& allowed) {
  std::string out;
  for (const auto& a : allowed) out += (out.empty() ? "" : ", ") + std::string(a);
  return out;
}

int64_t toMicros(double value) { return std::llround(value * 1e6); }

// Sums of many records saturate instead of wrapping around.
void addSaturating(int64_t& total, int64_t amount) {
  if (__builtin_add_overflow(total, amount, &total)) total = std::numeric_limits<int64_t>::max();
}
double fromMicros(int64_t micros) { return static_cast<double>(micros) / 1e6; }

json::object usageJson(const UsageRecord& u) {
  return {{"usage_id", u.usageId},
          {"stage", u.stage},
          {"provider", u.provider},
          {"model", u.model.empty() ? json::value(nullptr) : json::value(u.model)},
          {"unit", u.unit},
          {"quantity", fromMicros(u.quantityMicros)},
          {"cost_usd", u.costMicroUsd ? json::value(fromMicros(*u.costMicroUsd)) : json::value(nullptr)},
          {"cost_source", u.costSource.empty() ? json::value(nullptr) : json::value(u.costSource)},
          {"recorded_at", u.recordedAt},
          {"estimated", u.estimated}};
}

HttpResponse ingestUsage(const RequestContext& ctx, const ConversationRecord& c) {
  const auto& req = ctx.req;
  auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
  if (body.error) return *body.error;
  FieldReader fields(body.object);
  const auto usageId = fields.string("usage_id", true, 64);
  const auto stage = fields.string("stage", true, 16);
  const auto provider = fields.string("provider", true, 64);
  const auto model = fields.string("model", false, 128);
  const auto unit = fields.string("unit", true, 32);
  const auto quantity = fields.number("quantity", true, 0, 1e9);
  const auto cost = fields.number("cost_usd", false, 0, 1e6);
  const auto recordedAt = fields.integer("recorded_at", false, 0, int64_t{1} << 52);
  const auto estimated = fields.boolean("estimated");
  auto errors = fields.finish();
  if (usageId && !isIdentifier(*usageId))
    errors.push_back({"usage_id", "invalid_value", "may contain only letters, digits, '_' and '-'"});
  if (stage && !oneOf(kStages, *stage))
    errors.push_back({"stage", "invalid_value", "must be one of " + listed(kStages)});
  if (provider && !isIdentifier(*provider))
    errors.push_back({"provider", "invalid_value", "may contain only letters, digits, '_' and '-'"});
  if (unit && !oneOf(kUnits, *unit)) errors.push_back({"unit", "invalid_value", "must be one of " + listed(kUnits)});
  if (!errors.empty()) return errorResponse(req, status::bad_request, "invalid_request", "invalid usage", errors);
  UsageRecord usage;
  usage.usageId = *usageId;
  usage.stage = *stage;
  usage.provider = *provider;
  usage.model = model.value_or("");
  usage.unit = *unit;
  usage.quantityMicros = toMicros(*quantity);
  if (cost) {
    usage.costMicroUsd = toMicros(*cost);
    usage.costSource = "reported";
  } else if (const auto price = effectivePrice(ctx.repository, ctx.teamId, usage.provider, usage.model, usage.unit)) {
    // Priced now, at the price in force when it was reported: a later price
    // change does not rewrite what a past call cost.
    usage.costMicroUsd = costMicroUsd(usage.quantityMicros, *price);
    usage.costSource = "price_table";
  }
  usage.recordedAt = recordedAt.value_or(common::unixMillis());
  usage.estimated = estimated.value_or(false);
  const bool stored = ctx.repository.addUsage(ctx.teamId, c.id, usage, c.agentId);
  return jsonResponse(req, stored ? status::created : status::ok, {{"usage_id", usage.usageId}, {"stored", stored}});
}

// Totals per stage and per (stage, provider, model). Records without a cost
// still show their quantities and are counted as unpriced, so a missing price
// is visible instead of silently reading as free. Beside each total, the part
// of it from estimated records (estimated_cost_usd), and their count.
HttpResponse costSummary(const RequestContext& ctx, const ConversationRecord& c) {
  struct ProviderTotal {
    int64_t costMicros = 0;
    int64_t estimatedMicros = 0;
    size_t unpriced = 0;
    size_t estimated = 0;
    std::map<std::string, int64_t> quantityMicros;  // by unit
  };
  std::map<std::string, int64_t> byStage;
  std::map<std::tuple<std::string, std::string, std::string>, ProviderTotal> byProvider;
  int64_t total = 0;
  int64_t estimatedTotal = 0;
  size_t unpriced = 0;
  size_t estimated = 0;
  for (const auto& u : ctx.repository.listUsage(ctx.teamId, c.id)) {
    auto& p = byProvider[{u.stage, u.provider, u.model}];
    addSaturating(p.quantityMicros[u.unit], u.quantityMicros);
    if (u.estimated) {
      ++p.estimated;
      ++estimated;
    }
    if (!u.costMicroUsd) {
      ++p.unpriced;
      ++unpriced;
      continue;
    }
    addSaturating(p.costMicros, *u.costMicroUsd);
    addSaturating(byStage[u.stage], *u.costMicroUsd);
    addSaturating(total, *u.costMicroUsd);
    if (u.estimated) {
      addSaturating(p.estimatedMicros, *u.costMicroUsd);
      addSaturating(estimatedTotal, *u.costMicroUsd);
    }
  }
  json::object stages;
  for (const auto& [stage, micros] : byStage) stages[stage] = fromMicros(micros);
  json::array providers;
  for (const auto& [key, p] : byProvider) {
    const auto& [stage, provider, model] = key;
    json::object quantities;
    for (const auto& [unit, micros] : p.quantityMicros) quantities[unit] = fromMicros(micros);
    providers.push_back({{"stage", stage},
                         {"provider", provider},
                         {"model", model.empty() ? json::value(nullptr) : json::value(model)},
                         {"cost_usd", fromMicros(p.costMicros)},
                         {"quantities", std::move(quantities)},
                         {"unpriced_records", p.unpriced},
                         {"estimated_cost_usd", fromMicros(p.estimatedMicros)},
                         {"estimated_records", p.estimated}});
  }
  return jsonResponse(ctx.req, status::ok,
                      {{"conversation_id", c.id},
                       {"currency", "USD"},
                       {"total_usd", fromMicros(total)},
                       {"by_stage", std::move(stages)},
                       {"by_provider", std::move(providers)},
                       {"unpriced_records", unpriced},
                       {"estimated_cost_usd", fromMicros(estimatedTotal)},
                       {"estimated_records", estimated}});
}

}  // namespace

HttpResponse handleUsage(const RequestContext& ctx, const ConversationRecord& c) {
  using common::http::verb;
  if (ctx.req.method() == verb::post) return ingestUsage(ctx, c);
  if (ctx.req.method() != verb::get) return methodNotAllowed(ctx.req);
  json::array list;
  for (const auto& u : ctx.repository.listUsage(ctx.teamId, c.id)) list.push_back(usageJson(u));
  return jsonResponse(ctx.req, status::ok, {{"usage", std::move(list)}});
}

HttpResponse handleCost(const RequestContext& ctx, const ConversationRecord& c) {
  if (ctx.req.method() != common::http::verb::get) return methodNotAllowed(ctx.req);
  return costSummary(ctx, c);
}

}  // namespace convox::control_api

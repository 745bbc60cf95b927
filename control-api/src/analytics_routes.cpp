// /v1/analytics/*: a team's calls, cost, latency and provider health over a
// time range, from the aggregates in analytics_queries.cpp.
#include "common/ids.hpp"
#include "iso_time.hpp"
#include "routes.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <variant>

namespace convox::control_api {
namespace {

using common::http::verb;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kDefaultRangeMs = 30 * kDayMs;

double usdOf(int64_t micros) { return static_cast<double>(micros) / 1e6; }
double quantityOf(int64_t micros) { return static_cast<double>(micros) / 1e6; }

struct Query {
  AnalyticsRange range;
  int64_t bucketMs = kDayMs;
  std::string bucket = "day";
};

// from / to (ISO-8601, `to` exclusive; default the 30 days before now),
// agent_id, and for cost the bucket (day or hour, UTC).
std::variant<Query, HttpResponse> readQuery(const RequestContext& ctx) {
  Query q;
  std::vector<FieldError> errors;
  const auto time = [&](const char* name) -> std::optional<int64_t> {
    const auto text = common::queryParameter(ctx.req, name);
    if (!text) return std::nullopt;
    auto ms = parseIsoTime(*text);
    if (!ms) {
      errors.push_back({name, "invalid_value",
                        "must be an ISO-8601 date (2026-12-03) or date-time with a zone (2026-12-03T18:00:00Z, "
                        "2026-12-03T23:30:00+05:30), from 1970"});
    }
    return ms;
  };
  const auto from = time("from");
  const auto to = time("to");
  q.range.to = to.value_or(common::unixMillis());
  q.range.from = from.value_or(q.range.to - kDefaultRangeMs);
  if (errors.empty() && q.range.from >= q.range.to) {
    errors.push_back({"from", "invalid_value", "must be before to"});
  }
  if (auto agent = common::queryParameter(ctx.req, "agent_id")) {
    if (!isIdentifier(*agent)) errors.push_back({"agent_id", "invalid_value", "is not an agent id"});
    q.range.agentId = std::string(*agent);
  }
  if (auto bucket = common::queryParameter(ctx.req, "bucket")) {
    if (*bucket == "hour") {
      q.bucketMs = kDayMs / 24;
      q.bucket = "hour";
    } else if (*bucket != "day") {
      errors.push_back({"bucket", "invalid_value", "must be day or hour"});
    }
  }
  if (!errors.empty()) return errorResponse(ctx.req, status::bad_request, "invalid_request", "invalid query", errors);
  return q;
}

json::object rangeJson(const Query& q) {
  json::object o{{"from", formatIsoTime(q.range.from)}, {"to", formatIsoTime(q.range.to)}};
  o["agent_id"] = q.range.agentId ? json::value(*q.range.agentId) : json::value(nullptr);
  return o;
}

HttpResponse overview(const RequestContext& ctx, const Query& q) {
  int64_t calls = 0;
  int64_t durationMs = 0;
  json::object byStatus;
  for (const auto& row : ctx.repository.conversationsByStatus(ctx.teamId, q.range)) {
    calls += row.values[0];
    durationMs += row.values[1];
    byStatus[row.keys[0]] = {{"calls", row.values[0]},
                             {"minutes", static_cast<double>(row.values[1]) / 60000.0},
                             {"duration_ms", row.values[1]}};
  }
  int64_t cost = 0;
  int64_t unpriced = 0;
  int64_t estimatedCost = 0;
  int64_t estimated = 0;
  for (const auto& row : ctx.repository.costByBucket(ctx.teamId, q.range, q.range.to - q.range.from + 1)) {
    cost += row.values[0];
    unpriced += row.values[2];
    estimatedCost += row.values[4];
    estimated += row.values[5];
  }
  auto body = rangeJson(q);
  body["calls"] = calls;
  body["minutes"] = static_cast<double>(durationMs) / 60000.0;
  body["duration_ms"] = durationMs;
  body["currency"] = "USD";
  body["cost_usd"] = usdOf(cost);
  body["unpriced_records"] = unpriced;
  body["estimated_cost_usd"] = usdOf(estimatedCost);
  body["estimated_records"] = estimated;
  body["by_status"] = std::move(byStatus);
  return jsonResponse(ctx.req, status::ok, body);
}

HttpResponse cost(const RequestContext& ctx, const Query& q) {
  struct Line {
    int64_t cost = 0, records = 0, unpriced = 0, estimatedCost = 0, estimated = 0;
    std::map<std::string, int64_t> quantities;
  };
  struct Point {
    int64_t cost = 0, unpriced = 0, estimatedCost = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Line> byProvider;
  std::map<std::string, int64_t> byStage;
  std::map<int64_t, Point> series;  // by bucket
  int64_t total = 0;
  int64_t unpriced = 0;
  int64_t estimatedTotal = 0;
  int64_t estimated = 0;
  for (const auto& row : ctx.repository.costByBucket(ctx.teamId, q.range, q.bucketMs)) {
    const auto& k = row.keys;    // bucket, stage, provider, model, unit
    const auto& v = row.values;  // cost, records, unpriced, quantity, estimated cost, estimated records
    auto& line = byProvider[{k[1], k[2], k[3]}];
    line.cost += v[0];
    line.records += v[1];
    line.unpriced += v[2];
    line.quantities[k[4]] += v[3];
    line.estimatedCost += v[4];
    line.estimated += v[5];
    byStage[k[1]] += v[0];
    auto& point = series[std::stoll(k[0])];
    point.cost += v[0];
    point.unpriced += v[2];
    point.estimatedCost += v[4];
    total += v[0];
    unpriced += v[2];
    estimatedTotal += v[4];
    estimated += v[5];
  }
  json::object stages;
  for (const auto& [stage, micros] : byStage) stages[stage] = usdOf(micros);
  json::array providers;
  for (const auto& [key, line] : byProvider) {
    const auto& [stage, provider, model] = key;
    json::object quantities;
    for (const auto& [unit, micros] : line.quantities) quantities[unit] = quantityOf(micros);
    providers.push_back({{"stage", stage},
                         {"provider", provider},
                         {"model", model.empty() ? json::value(nullptr) : json::value(model)},
                         {"cost_usd", usdOf(line.cost)},
                         {"quantities", std::move(quantities)},
                         {"records", line.records},
                         {"unpriced_records", line.unpriced},
                         {"estimated_cost_usd", usdOf(line.estimatedCost)},
                         {"estimated_records", line.estimated}});
  }
  json::array points;
  for (const auto& [start, point] : series) {
    points.push_back({{"start", formatIsoTime(start)},
                      {"start_ms", start},
                      {"cost_usd", usdOf(point.cost)},
                      {"unpriced_records", point.unpriced},
                      {"estimated_cost_usd", usdOf(point.estimatedCost)}});
  }
  auto body = rangeJson(q);
  body["currency"] = "USD";
  body["bucket"] = q.bucket;
  body["total_usd"] = usdOf(total);
  body["unpriced_records"] = unpriced;
  body["estimated_cost_usd"] = usdOf(estimatedTotal);
  body["estimated_records"] = estimated;
  body["by_stage"] = std::move(stages);
  body["by_provider"] = std::move(providers);
  body["series"] = std::move(points);
  return jsonResponse(ctx.req, status::ok, body);
}

// Nearest-rank percentiles of a histogram sorted by value: the smallest
// value with at least ceil(p/100 x n) observations at or below it.
json::object percentiles(const std::vector<std::pair<int64_t, int64_t>>& histogram) {
  int64_t n = 0;
  for (const auto& [value, count] : histogram) n += count;
  json::object out{{"count", n}};
  for (const int p : {50, 95, 99}) {
    const int64_t rank = (p * n + 99) / 100;
    int64_t seen = 0;
    json::value at = nullptr;
    for (const auto& [value, count] : histogram) {
      seen += count;
      if (seen >= rank) {
        at = value;
        break;
      }
    }
    out["p" + std::to_string(p) + "_ms"] = n ? at : json::value(nullptr);
  }
  return out;
}

json::object sorted(const std::map<int64_t, int64_t>& histogram) {
  return percentiles(std::vector<std::pair<int64_t, int64_t>>(histogram.begin(), histogram.end()));
}

HttpResponse latency(const RequestContext& ctx, const Query& q) {
  json::array stages;
  for (const std::string stage : {"stt", "llm", "tts", "voice_to_voice"}) {
    std::map<std::string, std::map<int64_t, int64_t>> byProvider;  // provider -> ms -> turns
    std::map<int64_t, int64_t> all;
    for (const auto& row : ctx.repository.latencyHistogram(ctx.teamId, q.range, stage)) {
      // keys {provider}, values {ms, turns}
      byProvider[row.keys[0]][row.values[0]] += row.values[1];
      all[row.values[0]] += row.values[1];
    }
    auto entry = sorted(all);
    entry["stage"] = stage;
    if (stage != "voice_to_voice") {
      json::array providers;
      for (const auto& [provider, histogram] : byProvider) {
        auto p = sorted(histogram);
        p["provider"] = provider.empty() ? json::value(nullptr) : json::value(provider);
        providers.push_back(std::move(p));
      }
      entry["by_provider"] = std::move(providers);
    }
    stages.push_back(std::move(entry));
  }
  auto body = rangeJson(q);
  body["percentile_method"] = "nearest-rank";
  body["stages"] = std::move(stages);
  return jsonResponse(ctx.req, status::ok, body);
}

double rate(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// Per (stage, provider): `served` = agent turns it served, `requests` =
// served + fallbacks away from it (each handed a request on), and its
// errors, timeouts and fallbacks with their share of requests.
HttpResponse providers(const RequestContext& ctx, const Query& q) {
  struct Health {
    int64_t served = 0, errors = 0, timeouts = 0, fallbacks = 0;
  };
  std::map<std::pair<std::string, std::string>, Health> health;
  std::map<std::string, std::pair<int64_t, int64_t>> stages;  // stage -> served, fallbacks
  for (const auto& row : ctx.repository.turnsByProvider(ctx.teamId, q.range)) {
    health[{row.keys[0], row.keys[1]}].served += row.values[0];
    stages[row.keys[0]].first += row.values[0];
  }
  for (const auto& row : ctx.repository.providerEventCounts(ctx.teamId, q.range)) {
    auto& h = health[{row.keys[0], row.keys[1]}];
    const auto& event = row.keys[2];
    if (event == "error") h.errors += row.values[0];
    if (event == "timeout") h.timeouts += row.values[0];
    if (event == "fallback") {
      h.fallbacks += row.values[0];
      stages[row.keys[0]].second += row.values[0];
    }
  }
  json::array list;
  for (const auto& [key, h] : health) {
    const int64_t requests = h.served + h.fallbacks;
    list.push_back({{"stage", key.first},
                    {"provider", key.second},
                    {"requests", requests},
                    {"served", h.served},
                    {"errors", h.errors},
                    {"timeouts", h.timeouts},
                    {"fallbacks", h.fallbacks},
                    {"error_rate", rate(h.errors, requests)},
                    {"timeout_rate", rate(h.timeouts, requests)},
                    {"fallback_rate", rate(h.fallbacks, requests)}});
  }
  json::object byStage;
  for (const auto& [stage, counts] : stages) {
    byStage[stage] = {{"served", counts.first},
                      {"fallbacks", counts.second},
                      {"fallback_rate", rate(counts.second, counts.first + counts.second)}};
  }
  auto body = rangeJson(q);
  body["providers"] = std::move(list);
  body["by_stage"] = std::move(byStage);
  return jsonResponse(ctx.req, status::ok, body);
}

}  // namespace

HttpResponse handleAnalytics(const RequestContext& ctx) {
  if (ctx.segments.size() != 2) return notFound(ctx.req, "route");
  const auto& what = ctx.segments[1];
  using Handler = HttpResponse (*)(const RequestContext&, const Query&);
  static const std::map<std::string, Handler, std::less<>> kHandlers{
      {"overview", overview}, {"cost", cost}, {"latency", latency}, {"providers", providers}};
  const auto it = kHandlers.find(what);
  if (it == kHandlers.end()) return notFound(ctx.req, "route");
  if (ctx.req.method() != verb::get) return methodNotAllowed(ctx.req);
  auto query = readQuery(ctx);
  if (auto* refused = std::get_if<HttpResponse>(&query)) return std::move(*refused);
  return it->second(ctx, std::get<Query>(query));
}

}  // namespace convox::control_api

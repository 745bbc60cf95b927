// /v1/providers/{id}/pricing: a team's effective prices for one provider
// (its own rows over the built-in list prices) and their edit.
#include "common/ids.hpp"
#include "price_table.hpp"
#include "routes.hpp"

#include <cmath>
#include <map>
#include <tuple>

namespace convox::control_api {
namespace {

using common::http::verb;

constexpr size_t kMaxPricesPerEdit = 200;
constexpr double kMaxUsd = 1e6;

double usdOf(int64_t nanoUsd) { return static_cast<double>(nanoUsd) / 1e9; }

json::object priceJson(const Price& p, bool team, std::string_view source) {
  json::object o{{"model", p.model},
                 {"unit", p.unit},
                 {"usd", usdOf(p.priceNanoUsd)},
                 {"per", perName(p.unit, p.perUnits)},
                 {"team_override", team}};
  o["source"] = team ? json::value("team") : json::value(source);
  return o;
}

HttpResponse effectivePrices(const RequestContext& ctx, const std::string& provider) {
  // (model, unit) -> the row shown: the team's wins over the default.
  std::map<std::tuple<std::string, std::string>, json::object> rows;
  for (const auto& d : defaultPrices()) {
    if (d.provider != provider) continue;
    Price p{std::string(d.provider), std::string(d.model), std::string(d.unit), d.priceNanoUsd,
            perUnitsFor(d.unit, d.per).value_or(1)};
    rows[{p.model, p.unit}] = priceJson(p, false, d.source);
  }
  for (const auto& local : localProviders()) {
    if (local != provider) continue;
    for (const std::string_view unit : {"audio_seconds", "input_tokens", "output_tokens", "characters"}) {
      if (auto p = defaultPrice(provider, "*", unit)) {
        rows[{p->model, p->unit}] = priceJson(*p, false, "local engine: no provider bill");
      }
    }
  }
  for (const auto& p : ctx.repository.listTeamPrices(ctx.teamId, provider)) {
    auto row = priceJson(p, true, "team");
    if (const auto d = defaultPrice(provider, p.model, p.unit); d && d->model == p.model) {
      row["default"] = {{"usd", usdOf(d->priceNanoUsd)}, {"per", perName(d->unit, d->perUnits)}};
    }
    rows[{p.model, p.unit}] = std::move(row);
  }
  json::array prices;
  for (auto& [key, row] : rows) prices.push_back(std::move(row));
  return jsonResponse(ctx.req, status::ok,
                      {{"provider", provider}, {"currency", "USD"}, {"prices", std::move(prices)}});
}

// One entry of an edit: a price to set, or (usd null) a team row to remove.
struct PriceEdit {
  Price price;
  bool remove = false;
};

std::vector<FieldError> readEntry(const json::value& v, const std::string& path, const std::string& provider,
                                  PriceEdit& out) {
  if (!v.is_object()) return {{path, "wrong_type", "must be an object"}};
  // usd null removes the team's row: read the rest without it.
  json::object o = v.get_object();
  const json::value* usd = o.if_contains("usd");
  out.remove = usd && usd->is_null();
  if (out.remove) o.erase("usd");
  FieldReader fields(o);
  const auto model = fields.string("model", true, 128);
  const auto unit = fields.string("unit", true, 32);
  const auto per = fields.string("per", false, 16);
  std::optional<double> amount;
  if (!out.remove) amount = fields.number("usd", true, 0, kMaxUsd);
  auto errors = fields.finish();
  if (model && model->find_first_of(" \t\r\n") != std::string::npos) {
    errors.push_back({"model", "invalid_value", "must not contain whitespace (\"*\" matches any model)"});
  }
  if (unit && !isPricedUnit(*unit)) {
    errors.push_back({"unit", "invalid_value",
                      "must be one of audio_seconds, minutes, input_tokens, output_tokens, characters, requests"});
  }
  std::optional<int64_t> perUnits;
  if (unit && isPricedUnit(*unit)) {
    perUnits = perUnitsFor(*unit, per ? *per : canonicalPer(*unit));
    if (!perUnits) errors.push_back({"per", "invalid_value", "for " + *unit + " must be one of " + allowedPers(*unit)});
  }
  int64_t nano = 0;
  if (amount) {
    const double scaled = *amount * 1e9;
    nano = std::llround(scaled);
    if (std::fabs(scaled - static_cast<double>(nano)) > std::max(1e-3, std::fabs(scaled) * 1e-12)) {
      errors.push_back({"usd", "invalid_value", "has more than 9 decimal places (prices are kept in nano-USD)"});
    }
  }
  for (auto& e : errors) e.field = path + "." + e.field;
  if (errors.empty()) out.price = {provider, *model, *unit, nano, *perUnits};
  return errors;
}

HttpResponse editPrices(const RequestContext& ctx, const std::string& provider) {
  const auto& req = ctx.req;
  auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
  if (body.error) return *body.error;
  FieldReader fields(body.object);
  const auto* list = fields.array("prices", true);
  auto errors = fields.finish();
  std::vector<PriceEdit> edits;
  if (list && list->size() > kMaxPricesPerEdit) {
    errors.push_back({"prices", "too_long", "may hold at most " + std::to_string(kMaxPricesPerEdit) + " prices"});
  } else if (list) {
    std::map<std::tuple<std::string, std::string>, size_t> seen;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string path = "prices[" + std::to_string(i) + "]";
      PriceEdit edit;
      auto more = readEntry((*list)[i], path, provider, edit);
      if (more.empty() && !seen.emplace(std::tuple{edit.price.model, edit.price.unit}, i).second) {
        more.push_back({path, "duplicate", "names a model and unit given earlier in the list"});
      }
      errors.insert(errors.end(), more.begin(), more.end());
      edits.push_back(std::move(edit));
    }
  }
  if (!errors.empty()) return errorResponse(req, status::bad_request, "invalid_request", "invalid prices", errors);
  // Validated as a whole first, so a bad entry stores nothing.
  const auto now = common::unixMillis();
  for (const auto& e : edits) {
    if (e.remove) {
      ctx.repository.deleteTeamPrice(ctx.teamId, provider, e.price.model, e.price.unit);
    } else {
      ctx.repository.setTeamPrice(ctx.teamId, e.price, now);
    }
  }
  return effectivePrices(ctx, provider);
}

}  // namespace

HttpResponse handlePricing(const RequestContext& ctx) {
  const auto& provider = ctx.segments[1];
  if (!isIdentifier(provider)) {
    return errorResponse(ctx.req, status::bad_request, "invalid_request", "invalid provider id",
                         {{"provider", "invalid_value", "may contain only letters, digits, '_' and '-'"}});
  }
  const auto method = ctx.req.method();
  if (method == verb::get) return effectivePrices(ctx, provider);
  if (method == verb::put) return editPrices(ctx, provider);
  if (method == verb::delete_) {
    for (const auto& p : ctx.repository.listTeamPrices(ctx.teamId, provider)) {
      ctx.repository.deleteTeamPrice(ctx.teamId, provider, p.model, p.unit);
    }
    return effectivePrices(ctx, provider);
  }
  return methodNotAllowed(ctx.req);
}

}  // namespace convox::control_api

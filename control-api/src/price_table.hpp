#pragma once

// The price table: built-in list prices per (provider, model, unit), the
// units a price may be given per, and the exact cost arithmetic. A team's
// own rows (in the store) override these.

#include "control_api/repository.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convox::control_api {

struct DefaultPrice {
  std::string_view provider;
  std::string_view model;  // "*": any model of the provider
  std::string_view unit;
  int64_t priceNanoUsd;
  std::string_view per;     // as the API shows it: "minute", "1k", ...
  std::string_view source;  // where the list price was read
};

// The built-in list prices (see control-api/README.md: checked on the date
// given there, to be checked by the operator against their own invoices).
std::span<const DefaultPrice> defaultPrices();

// How many of `unit` a `per` names ("minute" of audio_seconds = 60, "1k" of
// tokens = 1000); nullopt when that pair is not allowed.
std::optional<int64_t> perUnitsFor(std::string_view unit, std::string_view per);
// The `per` to show for a stored price (the inverse of perUnitsFor).
std::string perName(std::string_view unit, int64_t perUnits);
// Each priced unit with the `per` values it accepts, for error messages.
std::string allowedPers(std::string_view unit);
bool isPricedUnit(std::string_view unit);
// The `per` a price of `unit` is given in when an edit names none.
std::string canonicalPer(std::string_view unit);
// The engines priced at 0 for every unit (they run on the operator's machines).
std::span<const std::string_view> localProviders();

// The names a reported model is priced under, in order: itself, then for a
// dated snapshot ("gpt-4o-mini-2024-07-18", "claude-haiku-4-5-20251001": what
// the providers' streams report) the model without its date and that name's
// "-latest" alias. A price listed for the model covers its snapshots.
std::vector<std::string> priceNamesOf(std::string_view model);

// The default for (provider, model, unit): the model under each of its price
// names, else "*".
std::optional<Price> defaultPrice(std::string_view provider, std::string_view model, std::string_view unit);

// The price a record gets: team (provider, model by its price names) -> team
// (provider, *) -> default (provider, model by its price names) -> default
// (provider, *); nullopt: unpriced.
std::optional<Price> effectivePrice(Repository& repository, const std::string& teamId, const std::string& provider,
                                    const std::string& model, const std::string& unit);

// quantity (micro-units) x price, in micro-USD, rounded half up once.
int64_t costMicroUsd(int64_t quantityMicros, const Price& price);

}  // namespace convox::control_api

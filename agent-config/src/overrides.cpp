#include "agent_config/overrides.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace convox::agent_config {
namespace {

namespace json = boost::json;

bool allowed(const std::vector<std::string>& keys, const std::string& dotted) {
  return std::find(keys.begin(), keys.end(), dotted) != keys.end();
}

// Objects merge key by key; anything else replaces.
void mergeInto(json::value& target, const json::value& patch) {
  if (!target.is_object() || !patch.is_object()) {
    target = patch;
    return;
  }
  auto& obj = target.get_object();
  for (const auto& [key, value] : patch.get_object()) {
    auto* existing = obj.if_contains(key);
    if (existing) {
      mergeInto(*existing, value);
    } else {
      obj[key] = value;
    }
  }
}

// Applies the keys of `patch` (at `dotted`, "" for the top) that the agent
// allows; reports the others.
void apply(json::object& target, const json::object& patch, const std::string& dotted,
           const std::vector<std::string>& keys, std::vector<FieldError>& errors) {
  for (const auto& [key, value] : patch) {
    const std::string path = dotted.empty() ? std::string(key) : dotted + "." + std::string(key);
    if (value.is_null()) {
      errors.push_back(
          {"overrides." + path, "wrong_type", "must not be null; leave the key out to keep the agent's value"});
      continue;
    }
    if (allowed(keys, path)) {
      auto& slot = target[key];
      if (slot.is_null())
        slot = value;
      else
        mergeInto(slot, value);
      continue;
    }
    if (value.is_object()) {
      auto& slot = target[key];
      if (slot.is_string() && path == "first_message") {
        // A string first message is the same text in both directions.
        const json::value text = slot;
        slot = json::object{{"inbound", text}, {"outbound", text}};
      }
      if (!slot.is_object()) slot = json::object{};
      apply(slot.get_object(), value.get_object(), path, keys, errors);
      if (slot.get_object().empty()) target.erase(key);
      continue;
    }
    std::string listed;
    for (const auto& k : keys) listed += (listed.empty() ? "" : ", ") + k;
    errors.push_back({"overrides." + path, "not_overridable",
                      "this agent does not let a call override " + path +
                          (listed.empty() ? " (its client_override_keys is empty)"
                                          : " (its client_override_keys: " + listed + ")")});
  }
}

}  // namespace

OverrideResult applyOverrides(const json::object& config, const json::object& overrides) {
  OverrideResult result;
  result.effective = config;
  // Nothing to apply: the stored document stands as it is (even one stored
  // under an older, looser schema).
  if (overrides.empty()) return result;
  std::vector<std::string> keys;
  if (const auto* listed = config.if_contains("client_override_keys"); listed && listed->is_array()) {
    for (const auto& k : listed->get_array()) {
      if (k.is_string()) keys.emplace_back(k.get_string());
    }
  }
  apply(result.effective, overrides, "", keys, result.errors);
  if (!result.errors.empty()) return result;
  for (auto& e : validateDocument(result.effective)) {
    e.field = "overrides." + e.field;
    result.errors.push_back(std::move(e));
  }
  return result;
}

}  // namespace convox::agent_config

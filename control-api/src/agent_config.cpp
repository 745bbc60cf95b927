#include "control_api/agent_config.hpp"

#include "common/address_policy.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>

namespace convox::control_api {
namespace {

namespace json = boost::json;

enum class Kind { String, Integer, Number, Boolean, Object, Array, AnyObject };

// One field's rules. Objects list their fields; arrays describe their items.
struct Spec {
  Kind kind = Kind::String;
  bool required = false;
  size_t maxLength = 0;  // strings: bytes; arrays: items; 0 = no limit beyond the body limit
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> oneOf;  // allowed string values
  bool identifier = false;         // [A-Za-z0-9_-], for ids used in URLs
  std::map<std::string, Spec> fields;
  std::shared_ptr<Spec> items;
};

Spec make(Kind kind, bool required = false) {
  Spec s;
  s.kind = kind;
  s.required = required;
  return s;
}
Spec str(size_t maxLength, bool required = false) {
  Spec s = make(Kind::String, required);
  s.maxLength = maxLength;
  return s;
}
Spec ranged(Kind kind, double min, double max) {
  Spec s = make(kind);
  s.min = min;
  s.max = max;
  return s;
}
Spec integer(double min, double max) { return ranged(Kind::Integer, min, max); }
Spec number(double min, double max) { return ranged(Kind::Number, min, max); }
Spec boolean() { return make(Kind::Boolean); }
Spec anyObject() { return make(Kind::AnyObject); }
Spec object(std::map<std::string, Spec> fields, bool required = false) {
  Spec s = make(Kind::Object, required);
  s.fields = std::move(fields);
  return s;
}
Spec array(Spec items, size_t maxItems) {
  Spec s = make(Kind::Array);
  s.maxLength = maxItems;
  s.items = std::make_shared<Spec>(std::move(items));
  return s;
}
Spec oneOf(std::vector<std::string> values, bool required = false) {
  Spec s = str(64, required);
  s.oneOf = std::move(values);
  return s;
}

Spec providerStage(bool withVoice) {
  std::map<std::string, Spec> fields{
      {"provider", str(64, true)}, {"model", str(200)}, {"language", str(35)}, {"provider_config", anyObject()}};
  if (withVoice) fields.emplace("voice", str(200));
  return object(std::move(fields));
}

const Spec& documentSpec() {
  static const Spec kSpec = [] {
    Spec id = str(64);
    id.identifier = true;
    auto llm = providerStage(false);
    llm.fields.emplace("temperature", number(0, 2));
    llm.fields.emplace("max_tokens", integer(1, 1'000'000));
    return object({
        {"id", id},
        {"version", integer(1, 9e15)},
        {"name", str(200, true)},
        {"description", str(2000)},
        {"stt", providerStage(false)},
        {"llm", llm},
        {"tts", providerStage(true)},
        {"vad", object({{"provider", str(64)}, {"threshold", number(0, 1)}, {"min_silence_ms", integer(0, 60000)}})},
        {"interruption_handling",
         object({{"enabled", boolean()}, {"min_words", integer(0, 100)}, {"min_duration_ms", integer(0, 60000)}})},
        {"first_message", object({{"inbound", str(4000)}, {"outbound", str(4000)}})},
        {"system_prompt", str(100000)},
        {"keywords", array(str(200), 1000)},
        {"dialog_rules", array(object({{"when", str(2000, true)}, {"say", str(4000, true)}}), 500)},
        {"results", array(object({{"name", str(100, true)},
                                  {"type", oneOf({"string", "number", "boolean"}, true)},
                                  {"description", str(2000)}}),
                          100)},
        {"webhooks", array(object({{"id", id},
                                   {"url", str(2000, true)},
                                   {"events", array(oneOf(webhookEventNames()), 16)},
                                   {"include_transcript", boolean()},
                                   {"secret", str(200, true)}}),
                           20)},
        {"limits",
         object({{"max_duration_seconds", integer(1, 86400)}, {"silence_timeout_seconds", integer(1, 3600)}})},
    });
  }();
  return kSpec;
}

const char* kindName(Kind kind) {
  switch (kind) {
    case Kind::String:
      return "a string";
    case Kind::Integer:
      return "an integer";
    case Kind::Number:
      return "a number";
    case Kind::Boolean:
      return "true or false";
    case Kind::Object:
    case Kind::AnyObject:
      return "an object";
    case Kind::Array:
      return "an array";
  }
  return "a value";
}

std::optional<double> numericValue(const json::value& v, bool integral) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && !integral) return v.get_double();
  return std::nullopt;
}

class Validator {
 public:
  std::vector<FieldError> errors;

  void check(const json::value& v, const Spec& spec, const std::string& path) {
    switch (spec.kind) {
      case Kind::String:
        return checkString(v, spec, path);
      case Kind::Integer:
      case Kind::Number:
        return checkNumber(v, spec, path);
      case Kind::Boolean:
        if (!v.is_bool()) wrongType(path, spec);
        return;
      case Kind::AnyObject:
        if (!v.is_object()) wrongType(path, spec);
        return;
      case Kind::Object:
        return checkObject(v, spec, path);
      case Kind::Array:
        return checkArray(v, spec, path);
    }
  }

 private:
  void add(const std::string& path, std::string code, std::string message) {
    errors.push_back({path, std::move(code), std::move(message)});
  }
  void wrongType(const std::string& path, const Spec& spec) {
    add(path, "wrong_type", std::string("must be ") + kindName(spec.kind));
  }

  void checkString(const json::value& v, const Spec& spec, const std::string& path) {
    if (!v.is_string()) return wrongType(path, spec);
    const auto& s = v.get_string();
    if (spec.maxLength && s.size() > spec.maxLength) {
      return add(path, "too_long", "must be at most " + std::to_string(spec.maxLength) + " bytes");
    }
    if (spec.required && s.empty()) return add(path, "required", "must not be empty");
    if (!spec.oneOf.empty() && std::find(spec.oneOf.begin(), spec.oneOf.end(), std::string(s)) == spec.oneOf.end()) {
      std::string allowed;
      for (const auto& o : spec.oneOf) allowed += (allowed.empty() ? "" : ", ") + o;
      return add(path, "invalid_value", "must be one of " + allowed);
    }
    if (spec.identifier) {
      const bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      });
      if (!ok) add(path, "invalid_value", "may contain only letters, digits, '_' and '-'");
    }
  }

  void checkNumber(const json::value& v, const Spec& spec, const std::string& path) {
    const auto n = numericValue(v, spec.kind == Kind::Integer);
    if (!n) return wrongType(path, spec);
    if (*n < spec.min || *n > spec.max) {
      json::value lo(spec.min), hi(spec.max);
      add(path, "out_of_range", "must be between " + json::serialize(lo) + " and " + json::serialize(hi));
    }
  }

  void checkObject(const json::value& v, const Spec& spec, const std::string& path) {
    if (!v.is_object()) return wrongType(path, spec);
    const auto& obj = v.get_object();
    const std::string prefix = path.empty() ? "" : path + ".";
    for (const auto& [key, value] : obj) {
      const auto it = spec.fields.find(std::string(key));
      if (it == spec.fields.end()) {
        add(prefix + std::string(key), "unknown_field", "is not a known field");
        continue;
      }
      check(value, it->second, prefix + std::string(key));
    }
    for (const auto& [key, field] : spec.fields) {
      if (field.required && !obj.contains(key)) add(prefix + key, "required", "is required");
    }
  }

  void checkArray(const json::value& v, const Spec& spec, const std::string& path) {
    if (!v.is_array()) return wrongType(path, spec);
    const auto& arr = v.get_array();
    if (spec.maxLength && arr.size() > spec.maxLength) {
      return add(path, "too_long", "must have at most " + std::to_string(spec.maxLength) + " items");
    }
    for (size_t i = 0; i < arr.size(); ++i) check(arr[i], *spec.items, path + "[" + std::to_string(i) + "]");
  }
};

// Webhook URLs must be http(s) (anything else could reach local files or odd
// schemes) with a host that can be reached as written; target ids are unique
// within the agent, since updates match stored secrets by them.
void checkWebhookTargets(const json::object& document, std::vector<FieldError>& errors) {
  const auto* hooks = document.if_contains("webhooks");
  if (!hooks) return;
  const auto& arr = hooks->as_array();
  std::vector<std::string_view> ids;
  for (size_t i = 0; i < arr.size(); ++i) {
    const auto& hook = arr[i].as_object();
    const std::string path = "webhooks[" + std::to_string(i) + "]";
    const auto url = std::string(hook.at("url").as_string());
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      errors.push_back({path + ".url", "invalid_value", "must be an http:// or https:// URL"});
    } else if (const auto problem = common::urlHostProblem(url)) {
      errors.push_back({path + ".url", "invalid_value", *problem});
    }
    if (const auto* id = hook.if_contains("id")) {
      if (std::find(ids.begin(), ids.end(), std::string_view(id->get_string())) != ids.end()) {
        errors.push_back({path + ".id", "duplicate", "is the id of another webhook of this agent"});
      }
      ids.push_back(id->get_string());
    }
  }
}

}  // namespace

const std::vector<std::string>& webhookEventNames() {
  static const std::vector<std::string> kEvents{"call.started", "call.ended", "transcript.ready"};
  return kEvents;
}

std::vector<FieldError> validateAgentDocument(const boost::json::value& document) {
  Validator validator;
  validator.check(document, documentSpec(), "");
  if (validator.errors.empty()) checkWebhookTargets(document.as_object(), validator.errors);
  return validator.errors;
}

}  // namespace convox::control_api

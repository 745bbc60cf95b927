// Rules between fields of a schema-valid agent document.
#include "agent_config/validate.hpp"
#include "schema.hpp"

#include <boost/json.hpp>

#include <map>
#include <set>

namespace convox::agent_config {
namespace {

namespace json = boost::json;

const json::value* at(const json::object& document, std::string_view dotted) {
  const json::object* obj = &document;
  while (true) {
    const auto dot = dotted.find('.');
    const auto* v = obj->if_contains(dotted.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    obj = &v->get_object();
    dotted.remove_prefix(dot + 1);
  }
}

// Fields the seed and Convox's first schema both name. Either may be used;
// both with different values would leave the agent's behaviour a guess.
void checkSynonyms(const json::object& document, std::vector<FieldError>& errors) {
  static const std::pair<const char*, const char*> kPairs[] = {
      {"system_prompt", "llm.system_prompt"},
      {"vad.min_silence_ms", "vad.silence_threshold_ms"},
      {"limits.max_duration_seconds", "max_conversation_duration_seconds"},
      {"limits.silence_timeout_seconds", "end_after_silence_seconds"},
      {"llm.base_url", "llm.config.base_url"},
  };
  for (const auto& [first, second] : kPairs) {
    const auto* a = at(document, first);
    const auto* b = at(document, second);
    if (a && b && *a != *b) {
      errors.push_back({second, "conflict", std::string("says something else than ") + first + "; give one of them"});
    }
  }
}

void checkUniqueNames(const json::array& items, const char* key, const std::string& path,
                      std::vector<FieldError>& errors, const char* message = "is used twice") {
  std::set<std::string> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto* name = items[i].as_object().if_contains(key);
    if (!name) continue;
    if (!seen.insert(std::string(name->as_string())).second) {
      errors.push_back({path + "[" + std::to_string(i) + "]." + key, "duplicate", message});
    }
  }
}

// Intents must be recognisable, and the results they set must exist with the
// value's type.
void checkDialog(const json::object& document, std::vector<FieldError>& errors) {
  const auto* dialog = at(document, "dialog.intents");
  if (!dialog) return;
  std::map<std::string, std::string> resultTypes;
  if (const auto* results = document.if_contains("results")) {
    for (const auto& r : results->as_array()) {
      resultTypes[std::string(r.at("name").as_string())] = std::string(r.at("type").as_string());
    }
  }
  const auto& intents = dialog->as_array();
  checkUniqueNames(intents, "name", "dialog.intents", errors);
  for (size_t i = 0; i < intents.size(); ++i) {
    const auto& intent = intents[i].as_object();
    const std::string path = "dialog.intents[" + std::to_string(i) + "]";
    const auto nonEmpty = [&](const char* key) {
      const auto* v = intent.if_contains(key);
      return v && !v->as_array().empty();
    };
    if (!nonEmpty("keywords") && !nonEmpty("examples")) {
      errors.push_back({path + ".keywords", "required", "an intent needs keywords or examples to be recognised by"});
    }
    const auto* set = intent.if_contains("set_results");
    if (!set) continue;
    for (const auto& [name, value] : set->as_object()) {
      const std::string field = path + ".set_results." + std::string(name);
      const auto type = resultTypes.find(std::string(name));
      if (type == resultTypes.end()) {
        errors.push_back({field, "invalid_value", "names no field of `results`"});
        continue;
      }
      const bool fits = (type->second == "string" && value.is_string()) ||
                        (type->second == "number" && value.is_number()) ||
                        (type->second == "boolean" && value.is_bool());
      if (!fits) errors.push_back({field, "wrong_type", "must be a " + type->second + ", the type of that result"});
    }
  }
}

// `llm.config` passes through to the provider, but its base_url is where
// the worker connects: a typo should fail on save, not on the first call.
void checkBaseUrl(const json::value* url, const std::string& path, std::vector<FieldError>& errors) {
  if (!url) return;
  const auto* text = url->if_string();
  if (!text || (!text->starts_with("http://") && !text->starts_with("https://")) || text->size() > 2000) {
    errors.push_back({path, "invalid_value", "must be an http:// or https:// URL (at most 2000 characters)"});
  }
}

void checkLlmBaseUrl(const json::object& document, std::vector<FieldError>& errors) {
  for (const char* path : {"llm.config.base_url", "llm.provider_config.base_url"}) {
    checkBaseUrl(at(document, path), path, errors);
  }
  for (const char* path :
       {"stt.config.base_url", "stt.provider_config.base_url", "tts.config.base_url", "tts.provider_config.base_url"}) {
    checkBaseUrl(at(document, path), path, errors);
  }
  // Each fallback of each stage: a provider's URL is where the worker connects.
  for (const char* stage : {"stt", "llm", "tts"}) {
    const auto* list = at(document, std::string(stage) + ".fallback");
    if (!list || !list->is_array()) continue;
    for (size_t i = 0; i < list->get_array().size(); ++i) {
      const auto* entry = list->get_array()[i].if_object();
      if (!entry) continue;
      const std::string base = std::string(stage) + ".fallback[" + std::to_string(i) + "].";
      checkBaseUrl(entry->if_contains("base_url"), base + "base_url", errors);
      for (const char* key : {"config", "provider_config"}) {
        const auto* c = entry->if_contains(key);
        if (c && c->is_object())
          checkBaseUrl(c->get_object().if_contains("base_url"), base + key + ".base_url", errors);
      }
    }
  }
}

void checkWebhookIds(const json::object& document, std::vector<FieldError>& errors) {
  const auto* hooks = document.if_contains("webhooks");
  if (!hooks || !hooks->is_array()) return;
  // Updates match stored secrets by these ids.
  checkUniqueNames(hooks->as_array(), "id", "webhooks", errors, "is the id of another webhook of this agent");
}

}  // namespace

void checkAcrossFields(const json::object& document, std::vector<FieldError>& errors) {
  checkSynonyms(document, errors);
  if (const auto* results = document.if_contains("results")) {
    checkUniqueNames(results->as_array(), "name", "results", errors);
  }
  if (const auto* languages = document.if_contains("languages")) {
    checkUniqueNames(languages->as_array(), "language", "languages", errors);
  }
  checkDialog(document, errors);
  checkWebhookIds(document, errors);
  checkLlmBaseUrl(document, errors);
  const auto* minDelay = at(document, "endpointing.min_delay_ms");
  const auto* maxDelay = at(document, "endpointing.max_delay_ms");
  if (minDelay && maxDelay && minDelay->to_number<double>() > maxDelay->to_number<double>()) {
    errors.push_back({"endpointing.max_delay_ms", "out_of_range", "must not be below endpointing.min_delay_ms"});
  }
}

}  // namespace convox::agent_config

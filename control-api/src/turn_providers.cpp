#include "turn_providers.hpp"

#include <array>
#include <utility>

namespace convox::control_api {
namespace {

constexpr size_t kMaxProviderEvents = 32;

bool isStage(const std::string& s) { return s == "stt" || s == "llm" || s == "tts"; }

}  // namespace

std::vector<FieldError> readProviders(const json::object& object, TurnProviders& out) {
  FieldReader fields(object);
  const std::array<std::pair<const char*, std::string*>, 3> stages{
      {{"stt", &out.stt}, {"llm", &out.llm}, {"tts", &out.tts}}};
  std::vector<FieldError> errors;
  for (const auto& [name, field] : stages) {
    const auto id = fields.string(name, false, 64);
    if (id && !isIdentifier(*id)) {
      errors.push_back({name, "invalid_value", "must be a provider id: letters, digits, '_' and '-'"});
    } else if (id) {
      *field = *id;
    }
  }
  auto more = fields.finish();
  errors.insert(errors.begin(), more.begin(), more.end());
  for (auto& e : errors) e.field = "providers." + e.field;
  return errors;
}

std::vector<FieldError> readProviderEvents(const json::array& list, std::vector<ProviderEvent>& out) {
  if (list.size() > kMaxProviderEvents) {
    return {{"provider_events", "too_long", "may hold at most " + std::to_string(kMaxProviderEvents) + " events"}};
  }
  std::vector<FieldError> errors;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "provider_events[" + std::to_string(i) + "]";
    if (!list[i].is_object()) {
      errors.push_back({path, "wrong_type", "must be an object"});
      continue;
    }
    FieldReader fields(list[i].get_object());
    ProviderEvent e;
    const auto stage = fields.string("stage", true, 8);
    const auto provider = fields.string("provider", true, 64);
    const auto event = fields.string("event", true, 16);
    e.reason = fields.string("reason", false, 500);
    e.to = fields.string("to", false, 64);
    auto more = fields.finish();
    if (stage && !isStage(*stage)) more.push_back({"stage", "invalid_value", "must be stt, llm or tts"});
    if (provider && !isIdentifier(*provider)) {
      more.push_back({"provider", "invalid_value", "must be a provider id: letters, digits, '_' and '-'"});
    }
    if (event && *event != "error" && *event != "timeout" && *event != "fallback") {
      more.push_back({"event", "invalid_value", "must be error, timeout or fallback"});
    }
    if (e.to && !isIdentifier(*e.to)) {
      more.push_back({"to", "invalid_value", "must be a provider id: letters, digits, '_' and '-'"});
    } else if (e.to && event && *event != "fallback") {
      more.push_back({"to", "invalid_value", "names the provider a fallback moved to: fallback events only"});
    }
    for (auto& m : more) m.field = path + "." + m.field;
    errors.insert(errors.end(), more.begin(), more.end());
    if (more.empty()) {
      e.stage = *stage;
      e.provider = *provider;
      e.event = *event;
      out.push_back(std::move(e));
    }
  }
  return errors;
}

}  // namespace convox::control_api

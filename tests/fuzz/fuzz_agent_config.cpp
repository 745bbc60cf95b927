// libFuzzer target: the agent document validator on arbitrary JSON, and on
// what it accepts, the settings builder and the override merge the worker and
// POST /v1/calls run on it.
#include "agent_config/agent_settings.hpp"
#include "agent_config/overrides.hpp"
#include "control_api/agent_config.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  const auto errors = convox::control_api::validateAgentDocument(value);
  for (const auto& e : errors) {
    if (e.code.empty() || e.message.empty()) __builtin_trap();  // every error says what and why
  }
  // A document the validator accepts is an object with a non-empty name.
  if (errors.empty() && (!value.is_object() || !value.as_object().contains("name"))) __builtin_trap();
  const auto settings = convox::agent_config::settingsFromDocument(value);
  if (errors.empty() && !settings.settings) __builtin_trap();  // the server's rules include the worker's
  if (!settings.settings && settings.error.empty()) __builtin_trap();
  if (errors.empty()) {
    // The document as its own overrides: every key is checked against its client_override_keys.
    const auto applied = convox::agent_config::applyOverrides(value.as_object(), value.as_object());
    for (const auto& e : applied.errors) {
      if (e.field.rfind("overrides.", 0) != 0 || e.message.empty()) __builtin_trap();
    }
  }
  return 0;
}

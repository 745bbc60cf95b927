// libFuzzer target: the agent document validator on arbitrary JSON.
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
  return 0;
}

#include "control_api/agent_config.hpp"

#include "common/address_policy.hpp"

#include <boost/json.hpp>

namespace convox::control_api {
namespace {

namespace json = boost::json;

void checkHost(const json::value* url, const std::string& path, std::vector<FieldError>& errors) {
  if (!url) return;
  if (const auto problem = common::urlHostProblem(std::string(url->as_string()))) {
    errors.push_back({path, "invalid_value", *problem});
  }
}

// A webhook URL needs a host that can be reached as written (the schema
// already made it http(s)); which addresses may be called is decided again at
// delivery, on the resolved address.
void checkWebhookHosts(const json::object& document, std::vector<FieldError>& errors) {
  const auto* hooks = document.if_contains("webhooks");
  if (!hooks) return;
  if (hooks->is_object()) {
    for (const char* key : {"on_call_end", "on_transcript_ready"}) {
      checkHost(hooks->get_object().if_contains(key), std::string("webhooks.") + key, errors);
    }
    return;
  }
  const auto& arr = hooks->as_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    checkHost(arr[i].as_object().if_contains("url"), "webhooks[" + std::to_string(i) + "].url", errors);
  }
}

}  // namespace

std::vector<FieldError> validateAgentDocument(const boost::json::value& document) {
  auto errors = agent_config::validateDocument(document);
  if (errors.empty()) checkWebhookHosts(document.as_object(), errors);
  return errors;
}

}  // namespace convox::control_api

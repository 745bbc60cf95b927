#pragma once

// The agent document (seed spec): top-level id, name, description, then the
// configuration objects. Validation reports every problem with the path of
// the field it concerns ("llm.temperature", "results[1].type"); unknown
// fields are errors, so a typo never silently becomes a default.

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace convox::control_api {

struct FieldError {
  std::string field;    // path from the document root; "" for the document itself
  std::string code;     // required, wrong_type, unknown_field, out_of_range, too_long, invalid_value
  std::string message;  // for people
};

// Checks a whole agent document. `version`, when present, must be a positive
// integer (the caller uses it as the expected version of an update).
std::vector<FieldError> validateAgentDocument(const boost::json::value& document);

// The webhook events an agent may subscribe to. Each target needs a `secret`
// that signs its deliveries.
const std::vector<std::string>& webhookEventNames();

}  // namespace convox::control_api

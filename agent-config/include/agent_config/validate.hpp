#pragma once

// The agent document (seed spec, plus Convox's extensions): top-level id,
// name, description, then the configuration objects. Validation reports every
// problem with the path of the field it concerns ("llm.temperature",
// "results[1].type"); unknown fields are errors, so a typo never silently
// becomes a default. Network policy on webhook URLs (which hosts may be
// called) is the server's and is checked there.

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace convox::agent_config {

struct FieldError {
  std::string field;    // path from the document root; "" for the document itself
  std::string code;     // required, wrong_type, unknown_field, out_of_range, too_long, invalid_value, duplicate,
                        // conflict, not_overridable
  std::string message;  // for people
};

// Checks a whole agent document. `version`, when present, must be a positive
// integer (the caller uses it as the expected version of an update).
std::vector<FieldError> validateDocument(const boost::json::value& document);

// Checks POST /v1/calls' `retry_context` (seed 004: a follow-up call resumes
// with data from an earlier attempt): {previous_conversation_id?,
// collected_data?, opening_message?, language?, stage_id?}. Paths start with
// "retry_context".
std::vector<FieldError> validateRetryContext(const boost::json::value& context);

// The webhook events an agent may subscribe to.
const std::vector<std::string>& webhookEventNames();

// The keys `client_override_keys` may list: the paths a call may override.
const std::vector<std::string>& overridableKeys();

}  // namespace convox::agent_config

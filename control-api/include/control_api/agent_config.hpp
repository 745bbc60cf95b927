#pragma once

// The agent document as the API takes it: agent-config/'s schema (every field
// with its path in errors, unknown fields refused) plus the server's network
// policy on webhook URLs.

#include "agent_config/validate.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace convox::control_api {

using FieldError = agent_config::FieldError;

// Checks a whole agent document. `version`, when present, must be a positive
// integer (the caller uses it as the expected version of an update).
std::vector<FieldError> validateAgentDocument(const boost::json::value& document);

// The webhook events an agent may subscribe to.
inline const std::vector<std::string>& webhookEventNames() { return agent_config::webhookEventNames(); }

}  // namespace convox::control_api

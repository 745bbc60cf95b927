#pragma once

// Call-time overrides (seed 001 §6.2): POST /v1/calls may send `overrides`,
// an object shaped like part of the agent document. A key is accepted only
// when the agent lists it, or an enclosing key, in `client_override_keys`
// ("llm.temperature" is allowed by "llm.temperature"). Objects merge into the
// stored configuration key by key; any other value replaces what is there.

#include "agent_config/validate.hpp"

#include <boost/json/object.hpp>

#include <vector>

namespace convox::agent_config {

struct OverrideResult {
  boost::json::object effective;   // the configuration with the overrides applied
  std::vector<FieldError> errors;  // paths start with "overrides."; empty when applied
};

// `config` is a validated agent document. The merged document is validated
// again, so an override cannot store a value the agent itself could not hold.
OverrideResult applyOverrides(const boost::json::object& config, const boost::json::object& overrides);

}  // namespace convox::agent_config

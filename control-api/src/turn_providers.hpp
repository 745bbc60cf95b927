#pragma once

// A turn's `providers` and `provider_events`, as the worker posts them:
// read and validated into the repository's records, with field-level errors.

#include "api_support.hpp"
#include "control_api/repository.hpp"

namespace convox::control_api {

// `providers`: {stt?, llm?, tts?}, each the id of the provider that served it.
std::vector<FieldError> readProviders(const json::object& object, TurnProviders& out);
// `provider_events`: [{stage, provider, event, reason?, to?}]; `to` only on
// a fallback (the provider that took over).
std::vector<FieldError> readProviderEvents(const json::array& list, std::vector<ProviderEvent>& out);

}  // namespace convox::control_api

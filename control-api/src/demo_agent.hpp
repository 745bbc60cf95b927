#pragma once

// The --dev demo agent document (worker/demo/receptionist.json), compiled in.

namespace convox::control_api {

extern const char* const kDemoAgentJson;

}  // namespace convox::control_api

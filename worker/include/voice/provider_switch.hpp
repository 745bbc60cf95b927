#pragma once

#include <string>

namespace convox::voice {

// A fallback list moved a request on, or had nobody left: what the voice
// agent records on the turn, for every stage alike.
struct ProviderSwitch {
  std::string provider;  // the one that failed
  std::string event;     // fallback | error (none was left) | timeout (likewise)
  std::string reason;
  std::string to;  // fallback: the provider taking over
};

}  // namespace convox::voice

#pragma once

// RFC 8259 leaves duplicate object keys to the implementation, and Boost.JSON
// keeps the last one; two clients (or a client and a proxy) could then read
// one body two ways. The /v1 API refuses them instead.

#include <optional>
#include <string>
#include <string_view>

namespace convox::control_api {

// The path ("name", "webhooks[1].url") of the first key that repeats within
// its object in the JSON text `text`, or nullopt. `text` is expected to be
// valid JSON already; invalid text yields nullopt.
std::optional<std::string> firstDuplicateKey(std::string_view text);

}  // namespace convox::control_api

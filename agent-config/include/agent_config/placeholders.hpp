#pragma once

// Call parameters in agent texts: "Hello {{customer_name}}". A placeholder is
// "{{", optional spaces, a name of letters, digits and '_' (not starting with
// a digit), optional spaces, "}}".

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace convox::agent_config {

// The byte offset of the first malformed "{{" in `text`, if any.
std::optional<size_t> malformedPlaceholder(std::string_view text);

// `text` with every placeholder replaced by its parameter; a placeholder with
// no parameter of that name becomes "" (so the agent never speaks braces).
// `text` is assumed valid; a malformed "{{" is copied as written.
std::string renderPlaceholders(std::string_view text, const std::map<std::string, std::string>& parameters);

}  // namespace convox::agent_config

#pragma once

// One spdlog logger per component area ("signal", "room", "api", "webhook",
// "http", ...). Levels can be changed at run time through spdlog's registry.

#include <spdlog/logger.h>

#include <memory>
#include <string_view>

namespace convox::common {

enum class LogFormat { Text, Json };

// Sets the sink and level for all loggers, present and future.
// `level` is one of trace, debug, info, warn, error, off.
void initLogging(std::string_view level, LogFormat format);

// The logger for `tag`, created on first use.
std::shared_ptr<spdlog::logger> logger(std::string_view tag);

// JSON string-escapes `text` (quotes not included).
std::string jsonEscape(std::string_view text);

}  // namespace convox::common

#pragma once

// ISO-8601 times for query parameters and answers: what the analytics take
// as `from` / `to` and give back as bucket starts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convox::control_api {

// Unix milliseconds of "2026-12-03" (midnight UTC) or a date-time with a zone:
// "2026-12-03T18:00Z", "2026-12-03T18:00:05.250Z", "...+05:30", "...-0800".
// A space where the '+' of an offset was (a query string's '+' decodes to
// one) is read as '+'. nullopt when malformed or out of 1970-9999.
std::optional<int64_t> parseIsoTime(std::string_view text);
// "2026-12-03T18:00:00.000Z".
std::string formatIsoTime(int64_t unixMillis);

}  // namespace convox::control_api

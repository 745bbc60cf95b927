#pragma once

#include <string>
#include <string_view>

namespace convox::common {

// LiveKit-style ids: a type prefix (RM_, PA_, TR_, EV_, ...) and 12 random
// base62 characters.
std::string newId(std::string_view prefix);

// Milliseconds / seconds of wall-clock (unix) time.
int64_t unixMillis();
int64_t unixSeconds();

}  // namespace convox::common

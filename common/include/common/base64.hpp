#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace convox::common {

// Standard base64 with padding (RFC 4648 §4).
std::string base64Encode(std::string_view bytes);
std::optional<std::string> base64Decode(std::string_view text);

// URL-safe base64 without padding (RFC 4648 §5), as JWS uses it. Decoding
// also accepts padded input, as some encoders emit it.
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace convox::common

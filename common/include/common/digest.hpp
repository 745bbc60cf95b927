#pragma once

// SHA-256 and HMAC-SHA-256 through OpenSSL, and the lowercase hex that
// signatures and stored key hashes are written in.

#include <string>
#include <string_view>

namespace convox::common {

std::string sha256(std::string_view data);                            // 32 raw bytes
std::string hmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string hexEncode(std::string_view bytes);                        // lowercase

}  // namespace convox::common

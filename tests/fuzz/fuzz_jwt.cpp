// libFuzzer target: JWT parsing and LiveKit claim reading. The first byte
// picks what the rest is: even, a token as a client sends it (framing,
// base64url, header and signature checks); odd, a claims payload that the
// target signs with the fixed secret, so that arbitrary claim values (exp,
// nbf, grants of any JSON type) reach claim parsing past the signature.
#include "common/access_token.hpp"
#include "common/base64.hpp"
#include "common/digest.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using convox::fuzzing::check;

namespace {

constexpr int64_t kNow = 1'800'000'000;

std::string signPayload(std::string_view payload) {
  std::string input =
      convox::common::base64UrlEncode(R"({"alg":"HS256"})") + '.' + convox::common::base64UrlEncode(payload);
  const auto mac = convox::common::hmacSha256("secret", input);
  return input + '.' + convox::common::base64UrlEncode(mac);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string token = (data[0] & 1) != 0 ? signPayload(rest) : std::string(rest);
  const convox::common::SecretLookup secrets = [](std::string_view key) -> std::optional<std::string> {
    if (key == "devkey") return std::string("secret");
    return std::nullopt;
  };
  auto result = convox::common::verifyAccessToken(token, secrets, kNow);
  if (!result) {
    check(!result.error().message.empty());  // a rejection must say why
    return 0;
  }
  // Accepted: the times it read are the ones it checked.
  check(result->expiresAt >= kNow - 60);
  check(result->notBefore <= kNow + 60);
  (void)convox::common::toJsonClaims(*result);
  return 0;
}

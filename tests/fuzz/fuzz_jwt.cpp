// libFuzzer target: JWT parsing and LiveKit claim reading.
#include "common/access_token.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const convox::common::SecretLookup secrets = [](std::string_view key) -> std::optional<std::string> {
    if (key == "devkey") return std::string("secret");
    return std::nullopt;
  };
  auto result = convox::common::verifyAccessToken(token, secrets, 1'800'000'000);
  if (!result && result.error().message.empty()) __builtin_trap();  // a rejection must say why
  if (result) (void)convox::common::toJsonClaims(*result);
  return 0;
}

#pragma once

// JWS compact serialisation with HS256 only: the one algorithm LiveKit
// tokens and webhooks use. The HMAC itself is OpenSSL's; this file only
// frames it, so that every failure can be told apart (a generic JWT
// library reports "invalid token" for all of them).

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace convox::common {

enum class JwtError {
  Malformed,             // not three base64url parts of JSON objects
  UnsupportedAlgorithm,  // header alg is not HS256
  MissingIssuer,         // no `iss` claim: we cannot pick a secret
  UnknownKey,            // `iss` names no configured API key
  BadSignature,          // HMAC does not match
  MissingExpiry,         // no `exp` claim
  Expired,               // now > exp (+ leeway)
  NotYetValid,           // now < nbf (- leeway)
};

std::string_view describe(JwtError error);

struct JwtFailure {
  JwtError error;
  std::string detail;  // human-readable reason, never the secret
};

// Looks a secret up by API key; nullopt if the key is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view apiKey)>;

struct VerifiedJwt {
  std::string issuer;
  boost::json::object claims;
  int64_t expiresAt = 0;  // exp, whole seconds
  int64_t notBefore = 0;  // nbf, whole seconds; 0 when absent
};

// An RFC 7519 NumericDate claim (`exp`, `nbf`, `iat`): a JSON number of
// seconds, possibly fractional (PyJWT writes time.time() + ttl), truncated to
// whole seconds. nullopt when absent or null; an error message when present
// but not a number or beyond the range of int64 seconds.
boost::system::result<std::optional<int64_t>, std::string> numericDateClaim(const boost::json::object& claims,
                                                                            std::string_view name);

// Verifies signature and time claims. `nowSeconds` is unix time.
boost::system::result<VerifiedJwt, JwtFailure> verifyJwt(std::string_view token, const SecretLookup& secrets,
                                                         int64_t nowSeconds, int64_t leewaySeconds = 60);

// Signs `claims` with header {"alg":"HS256"} (as livekit-server-sdk does).
std::string signJwt(const boost::json::object& claims, std::string_view secret);

}  // namespace convox::common

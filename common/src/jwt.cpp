#include "common/jwt.hpp"

#include "common/base64.hpp"
#include "common/digest.hpp"

#include <openssl/crypto.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <limits>

namespace convox::common {
namespace {

std::optional<boost::json::object> decodeJsonPart(std::string_view part) {
  auto raw = base64UrlDecode(part);
  if (!raw) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(*raw, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

JwtFailure fail(JwtError e, std::string detail) { return {e, std::move(detail)}; }

// a - b, saturated at the ends of int64 instead of overflowing (exp may be
// anything a signer wrote, 2^63-1 included).
int64_t saturatingSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r))
    return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}

}  // namespace

boost::system::result<std::optional<int64_t>, std::string> numericDateClaim(const boost::json::object& claims,
                                                                            std::string_view name) {
  const auto* v = claims.if_contains(name);
  if (!v || v->is_null()) return std::optional<int64_t>{};
  if (v->is_int64()) return std::optional<int64_t>{v->as_int64()};
  if (v->is_uint64()) {
    if (v->as_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return "the " + std::string(name) + " claim is out of range";
    }
    return std::optional<int64_t>{static_cast<int64_t>(v->as_uint64())};
  }
  if (v->is_double()) {
    // 2^63 as a double; every double strictly inside (-2^63, 2^63) truncates
    // to a valid int64. JSON has no NaN or infinity.
    constexpr double kLimit = 9223372036854775808.0;
    const double d = v->as_double();
    if (!(d > -kLimit && d < kLimit)) return "the " + std::string(name) + " claim is out of range";
    return std::optional<int64_t>{static_cast<int64_t>(std::trunc(d))};
  }
  return "the " + std::string(name) + " claim must be a number (NumericDate)";
}

std::string_view describe(JwtError error) {
  switch (error) {
    case JwtError::Malformed:
      return "malformed token";
    case JwtError::UnsupportedAlgorithm:
      return "unsupported signing algorithm";
    case JwtError::MissingIssuer:
      return "token has no issuer (API key)";
    case JwtError::UnknownKey:
      return "unknown API key";
    case JwtError::BadSignature:
      return "invalid token signature";
    case JwtError::MissingExpiry:
      return "token has no expiry";
    case JwtError::Expired:
      return "token is expired";
    case JwtError::NotYetValid:
      return "token is not valid yet";
  }
  return "invalid token";
}

boost::system::result<VerifiedJwt, JwtFailure> verifyJwt(std::string_view token, const SecretLookup& secrets,
                                                         int64_t nowSeconds, int64_t leewaySeconds) {
  constexpr size_t kMaxTokenBytes = size_t{64} * 1024;
  if (token.size() > kMaxTokenBytes) return fail(JwtError::Malformed, "token is larger than 64 KiB");
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(JwtError::Malformed, "token must have three dot-separated parts");
  }
  const auto headerPart = token.substr(0, dot1);
  const auto payloadPart = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const auto signaturePart = token.substr(dot2 + 1);

  auto header = decodeJsonPart(headerPart);
  if (!header) return fail(JwtError::Malformed, "token header is not base64url JSON");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->value().is_string() || alg->value().as_string() != "HS256") {
    return fail(JwtError::UnsupportedAlgorithm, "only HS256 is accepted");
  }
  auto claims = decodeJsonPart(payloadPart);
  if (!claims) return fail(JwtError::Malformed, "token payload is not base64url JSON");
  auto signature = base64UrlDecode(signaturePart);
  if (!signature) return fail(JwtError::Malformed, "token signature is not base64url");

  auto iss = claims->find("iss");
  if (iss == claims->end() || !iss->value().is_string() || iss->value().as_string().empty()) {
    return fail(JwtError::MissingIssuer, "the iss claim must name the API key");
  }
  std::string issuer(iss->value().as_string());
  auto secret = secrets(issuer);
  if (!secret) return fail(JwtError::UnknownKey, "API key '" + issuer + "' is not configured");

  const auto expected = hmacSha256(*secret, token.substr(0, dot2));
  if (signature->size() != expected.size() || CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return fail(JwtError::BadSignature, "signature does not match API key '" + issuer + "'");
  }

  const auto exp = numericDateClaim(*claims, "exp");
  if (!exp) return fail(JwtError::Malformed, exp.error());
  if (!*exp) return fail(JwtError::MissingExpiry, "the exp claim is required");
  const auto nbf = numericDateClaim(*claims, "nbf");
  if (!nbf) return fail(JwtError::Malformed, nbf.error());
  if (const auto iat = numericDateClaim(*claims, "iat"); !iat) return fail(JwtError::Malformed, iat.error());
  if (const auto late = saturatingSub(nowSeconds, **exp); late > leewaySeconds) {
    return fail(JwtError::Expired, "expired " + std::to_string(late) + " s ago");
  }
  if (*nbf) {
    if (const auto early = saturatingSub(**nbf, nowSeconds); early > leewaySeconds) {
      return fail(JwtError::NotYetValid, "valid in " + std::to_string(early) + " s");
    }
  }
  return VerifiedJwt{std::move(issuer), std::move(*claims), **exp, nbf->value_or(0)};
}

std::string signJwt(const boost::json::object& claims, std::string_view secret) {
  std::string signingInput = base64UrlEncode(R"({"alg":"HS256"})");
  signingInput += '.';
  signingInput += base64UrlEncode(boost::json::serialize(claims));
  const auto mac = hmacSha256(secret, signingInput);
  return signingInput + '.' + base64UrlEncode(mac);
}

}  // namespace convox::common

// exp, nbf and iat are RFC 7519 NumericDates: any JSON number of seconds,
// fractional ones included (PyJWT signs exp = time.time() + ttl). Each claim
// type a signer can write is either read or refused with a reason; none may
// throw (an exception on the /rtc upgrade path once ended the process).
#include "common/access_token.hpp"
#include "common/jwt.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <limits>

using namespace convox::common;

namespace {

constexpr int64_t kNow = 1'800'000'000;

const SecretLookup kSecrets = [](std::string_view key) -> std::optional<std::string> {
  if (key == "devkey") return std::string("secret");
  return std::nullopt;
};

// A token signed with the right secret whose exp (and nbf, iat) claims are
// the JSON text given, so that the claim values are all that is tested.
std::string signedWith(std::string_view exp, std::string_view nbf = {}, std::string_view iat = {}) {
  std::string payload = R"({"iss":"devkey","sub":"a","video":{"room":"r","roomJoin":true})";
  if (!exp.empty()) payload += R"(,"exp":)" + std::string(exp);
  if (!nbf.empty()) payload += R"(,"nbf":)" + std::string(nbf);
  if (!iat.empty()) payload += R"(,"iat":)" + std::string(iat);
  payload += "}";
  return signJwt(boost::json::parse(payload).as_object(), "secret");
}

auto verify(const std::string& token) { return verifyAccessToken(token, kSecrets, kNow); }

}  // namespace

TEST(JwtNumericDate, FractionalExpAndNbfAreTruncated) {
  auto r = verify(signedWith("1800000600.5", "1799999999.75", "1799999999.75"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->expiresAt, 1'800'000'600);
  EXPECT_EQ(r->notBefore, 1'799'999'999);
}

TEST(JwtNumericDate, FractionalExpInThePastIsExpired) {
  auto r = verify(signedWith("1799999000.9"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().jwt, JwtError::Expired);
  EXPECT_NE(r.error().message.find("expired 1000 s ago"), std::string::npos) << r.error().message;
}

TEST(JwtNumericDate, ExponentNotationIsANumber) {
  auto r = verify(signedWith("1.8000006e9"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->expiresAt, 1'800'000'600);
}

TEST(JwtNumericDate, NonNumbersAreMalformedWithTheClaimNamed) {
  for (const auto& [exp, nbf, iat, claim] : std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {R"("1800000600")", "", "", "exp"},
           {"true", "", "", "exp"},
           {"[1800000600]", "", "", "exp"},
           {R"({"t":1})", "", "", "exp"},
           {"1800000600", R"("soon")", "", "nbf"},
           {"1800000600", "", "false", "iat"},
       }) {
    auto r = verify(signedWith(exp, nbf, iat));
    ASSERT_FALSE(r.has_value()) << exp << " " << nbf << " " << iat;
    EXPECT_EQ(r.error().jwt, JwtError::Malformed);
    EXPECT_NE(r.error().message.find("the " + claim + " claim must be a number"), std::string::npos)
        << r.error().message;
  }
}

TEST(JwtNumericDate, NullExpIsMissing) {
  auto r = verify(signedWith("null"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().jwt, JwtError::MissingExpiry);
}

TEST(JwtNumericDate, OutOfRangeValuesAreRefusedWithAReason) {
  for (const std::string exp : {"9223372036854775808", "18446744073709551615", "1e300", "-1e300", "9.3e18"}) {
    auto r = verify(signedWith(exp));
    ASSERT_FALSE(r.has_value()) << exp;
    EXPECT_EQ(r.error().jwt, JwtError::Malformed) << exp;
    EXPECT_NE(r.error().message.find("the exp claim is out of range"), std::string::npos) << r.error().message;
  }
}

TEST(JwtNumericDate, ExtremeValuesCompareWithoutOverflow) {
  // exp = 2^63 - 1 is far in the future, not "expired -9223372035058493083 s ago".
  auto far = verify(signedWith("9223372036854775807"));
  ASSERT_TRUE(far.has_value()) << far.error().message;
  EXPECT_EQ(far->expiresAt, std::numeric_limits<int64_t>::max());

  auto ancient = verify(signedWith("-9223372036854775808"));
  ASSERT_FALSE(ancient.has_value());
  EXPECT_EQ(ancient.error().jwt, JwtError::Expired);
  EXPECT_EQ(ancient.error().message.find('-'), std::string::npos) << ancient.error().message;

  auto never = verify(signedWith("1800000600", "9223372036854775807"));
  ASSERT_FALSE(never.has_value());
  EXPECT_EQ(never.error().jwt, JwtError::NotYetValid);
  EXPECT_EQ(never.error().message.find('-'), std::string::npos) << never.error().message;

  auto earliest = verify(signedWith("1800000600", "-9223372036854775808"));
  EXPECT_TRUE(earliest.has_value());
}

TEST(JwtNumericDate, UnsignedInRangeIsRead) {
  auto r = verify(signedWith("18446744073709551615"));  // uint64 max: out of range
  EXPECT_FALSE(r.has_value());
  auto ok = verifyJwt(signJwt({{"iss", "devkey"}, {"exp", uint64_t{1'800'000'600}}}, "secret"), kSecrets, kNow);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->expiresAt, 1'800'000'600);
}

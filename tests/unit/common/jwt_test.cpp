#include "common/jwt.hpp"
#include "common/access_token.hpp"
#include "common/base64.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

using namespace convox::common;

namespace {

constexpr int64_t kNow = 1'800'000'000;

SecretLookup secrets(std::map<std::string, std::string> keys) {
  return [keys = std::move(keys)](std::string_view k) -> std::optional<std::string> {
    auto it = keys.find(std::string(k));
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };
}

boost::json::object claims(int64_t nbf, int64_t exp) {
  return {{"iss", "key"}, {"sub", "alice"}, {"nbf", nbf}, {"exp", exp}};
}

JwtError errorOf(std::string_view token, int64_t now = kNow) {
  auto r = verifyJwt(token, secrets({{"key", "secret"}}), now);
  EXPECT_FALSE(r.has_value());
  return r.has_value() ? JwtError::Malformed : r.error().error;
}

}  // namespace

TEST(Jwt, SignThenVerifyRoundTrips) {
  const auto token = signJwt(claims(kNow, kNow + 60), "secret");
  auto r = verifyJwt(token, secrets({{"key", "secret"}}), kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->issuer, "key");
  EXPECT_EQ(r->claims.at("sub").as_string(), "alice");
  // Header is exactly what livekit-server-sdk writes.
  EXPECT_EQ(base64UrlDecode(token.substr(0, token.find('.'))), R"({"alg":"HS256"})");
}

TEST(Jwt, EachFailureHasItsOwnError) {
  const auto good = signJwt(claims(kNow, kNow + 60), "secret");
  EXPECT_EQ(errorOf("a.b"), JwtError::Malformed);
  EXPECT_EQ(errorOf("a.b.c.d"), JwtError::Malformed);
  EXPECT_EQ(errorOf("!!!.e30.sig"), JwtError::Malformed);
  EXPECT_EQ(errorOf(base64UrlEncode(R"({"alg":"none"})") + ".e30."), JwtError::UnsupportedAlgorithm);
  EXPECT_EQ(errorOf(base64UrlEncode(R"({"alg":"RS256"})") + ".e30.x"), JwtError::UnsupportedAlgorithm);
  EXPECT_EQ(errorOf(signJwt({{"exp", kNow + 60}}, "secret")), JwtError::MissingIssuer);
  EXPECT_EQ(errorOf(signJwt({{"iss", "other"}, {"exp", kNow + 60}}, "secret")), JwtError::UnknownKey);
  EXPECT_EQ(errorOf(signJwt(claims(kNow, kNow + 60), "wrong")), JwtError::BadSignature);
  EXPECT_EQ(errorOf(signJwt({{"iss", "key"}}, "secret")), JwtError::MissingExpiry);
  EXPECT_EQ(errorOf(good, kNow + 60 + 61), JwtError::Expired);
  EXPECT_EQ(errorOf(good, kNow - 61), JwtError::NotYetValid);
}

TEST(Jwt, LeewayOfSixtySecondsBothWays) {
  const auto token = signJwt(claims(kNow, kNow + 60), "secret");
  EXPECT_TRUE(verifyJwt(token, secrets({{"key", "secret"}}), kNow + 60 + 59).has_value());
  EXPECT_TRUE(verifyJwt(token, secrets({{"key", "secret"}}), kNow - 59).has_value());
}

TEST(Jwt, TamperedPayloadFailsSignature) {
  auto token = signJwt(claims(kNow, kNow + 60), "secret");
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  const auto forged = base64UrlEncode(R"({"iss":"key","sub":"mallory","exp":1900000000})");
  token = token.substr(0, dot1 + 1) + forged + token.substr(dot2);
  EXPECT_EQ(errorOf(token), JwtError::BadSignature);
}

TEST(Jwt, ErrorDetailNeverContainsTheSecret) {
  auto r = verifyJwt(signJwt(claims(kNow, kNow + 60), "wrong"), secrets({{"key", "supersecret"}}), kNow);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail.find("supersecret"), std::string::npos);
}

// Tokens minted by livekit-server-sdk's AccessToken (tests/data/livekit_tokens.json).
class LiveKitSdkTokens : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(CONVOX_TEST_DATA_DIR) + "/livekit_tokens.json");
    ASSERT_TRUE(in) << "missing fixture";
    std::stringstream s;
    s << in.rdbuf();
    fixture_ = boost::json::parse(s.str()).as_object();
  }
  boost::system::result<ClaimGrants, TokenFailure> verify(const char* name, int64_t offset = 0) {
    const auto lookup =
        secrets({{std::string(fixture_.at("apiKey").as_string()), std::string(fixture_.at("apiSecret").as_string())}});
    return verifyAccessToken(std::string(fixture_.at("tokens").at(name).as_string()), lookup,
                             fixture_.at("issuedAt").as_int64() + offset);
  }
  boost::json::object fixture_;
};

TEST_F(LiveKitSdkTokens, JoinTokenClaimsAreRead) {
  auto g = verify("join");
  ASSERT_TRUE(g.has_value()) << g.error().message;
  EXPECT_EQ(g->identity, "alice");
  EXPECT_EQ(g->name, "Alice");
  EXPECT_EQ(g->metadata, R"({"a":1})");
  EXPECT_EQ(g->attributes.at("k"), "v");
  ASSERT_TRUE(g->video);
  EXPECT_TRUE(g->video->roomJoin);
  EXPECT_EQ(g->video->room, "my-room");
  EXPECT_EQ(g->video->canPublishSources, (std::vector<std::string>{"camera", "microphone"}));
  EXPECT_NE(g->roomConfigJson.find("\"agentName\":\"helper\""), std::string::npos);
  EXPECT_EQ(g->expiresAt - g->notBefore, 6 * 3600);
  EXPECT_TRUE(checkRoomJoin(*g).empty());
}

TEST_F(LiveKitSdkTokens, AgentTokenDefaultsFollowLiveKit) {
  auto g = verify("agent");
  ASSERT_TRUE(g.has_value()) << g.error().message;
  EXPECT_TRUE(g->video->agent);
  EXPECT_TRUE(g->video->hidden);
  EXPECT_FALSE(g->video->effectiveCanSubscribe());
  EXPECT_TRUE(g->video->effectiveCanPublish());  // absent means allowed
  EXPECT_TRUE(g->video->effectiveCanPublishData());
  EXPECT_FALSE(g->video->effectiveCanUpdateOwnMetadata());
}

TEST_F(LiveKitSdkTokens, AdminTokenHasNoIdentityAndAdminGrants) {
  auto g = verify("admin");
  ASSERT_TRUE(g.has_value()) << g.error().message;
  EXPECT_TRUE(g->identity.empty());
  EXPECT_TRUE(checkRoomCreate(*g).empty());
  EXPECT_TRUE(checkRoomList(*g).empty());
  EXPECT_TRUE(checkRoomAdmin(*g, "r3").empty());
  EXPECT_FALSE(checkRoomAdmin(*g, "other").empty());
  EXPECT_FALSE(checkRoomJoin(*g).empty());
}

TEST_F(LiveKitSdkTokens, ExpiredLaterIsRejectedAsExpired) {
  auto g = verify("admin", 10 * 60 + 61);
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().jwt, JwtError::Expired);
}

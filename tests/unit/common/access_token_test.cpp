#include "common/access_token.hpp"

#include <gtest/gtest.h>

using namespace convox::common;

namespace {

constexpr int64_t kNow = 1'800'000'000;

SecretLookup devKeys() {
  return [](std::string_view k) -> std::optional<std::string> {
    if (k == "devkey") return std::string("secret");
    return std::nullopt;
  };
}

}  // namespace

TEST(AccessToken, SignedGrantsReadBackIdentically) {
  ClaimGrants g;
  g.identity = "bob";
  g.name = "Bob";
  g.metadata = "meta";
  g.kind = "agent";
  g.attributes = {{"a", "1"}, {"b", "2"}};
  VideoGrant v;
  v.room = "r";
  v.roomJoin = true;
  v.canPublish = false;
  v.canUpdateOwnMetadata = true;
  v.canPublishSources = {"microphone"};
  g.video = v;
  g.roomConfigJson = R"({"maxParticipants":3})";
  const auto token = signAccessToken(g, "devkey", "secret", kNow, 600);
  auto back = verifyAccessToken(token, devKeys(), kNow);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->identity, "bob");
  EXPECT_EQ(back->name, "Bob");
  EXPECT_EQ(back->kind, "agent");
  EXPECT_EQ(back->attributes, g.attributes);
  EXPECT_EQ(back->video->canPublish, std::optional<bool>(false));
  EXPECT_FALSE(back->video->effectiveCanPublishData());  // follows canPublish
  EXPECT_TRUE(back->video->effectiveCanUpdateOwnMetadata());
  EXPECT_EQ(back->video->canPublishSources, v.canPublishSources);
  EXPECT_EQ(back->roomConfigJson, R"({"maxParticipants":3})");
  EXPECT_EQ(back->expiresAt, kNow + 600);
}

TEST(AccessToken, FalseGrantsAreOmittedLikeTheSdk) {
  ClaimGrants g;
  g.video = VideoGrant{};
  g.video->roomList = true;
  const auto json = toJsonClaims(g);
  const auto& video = json.at("video").as_object();
  EXPECT_EQ(video.size(), 1u);
  EXPECT_TRUE(video.at("roomList").as_bool());
}

TEST(AccessToken, WrongClaimTypesAreMalformedAndNamed) {
  auto sign = [](boost::json::object c) {
    c["iss"] = "devkey";
    c["exp"] = kNow + 60;
    return signJwt(c, "secret");
  };
  struct Case {
    boost::json::object claims;
    const char* expect;
  } cases[] = {
      {{{"sub", 5}}, "claim sub must be a string"},
      {{{"video", "yes"}}, "claim video must be an object"},
      {{{"video", {{"roomJoin", "true"}}}}, "claim video.roomJoin must be a boolean"},
      {{{"video", {{"canPublishSources", {1, 2}}}}}, "claim video.canPublishSources must be an array of strings"},
      {{{"attributes", {{"k", 1}}}}, "claim attributes must be an object of strings"},
  };
  for (const auto& c : cases) {
    auto r = verifyAccessToken(sign(c.claims), devKeys(), kNow);
    ASSERT_FALSE(r.has_value()) << c.expect;
    EXPECT_EQ(r.error().jwt, JwtError::Malformed);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
  }
}

TEST(AccessToken, GrantChecks) {
  ClaimGrants g;
  EXPECT_NE(checkRoomJoin(g), "");
  g.video = VideoGrant{};
  g.video->roomJoin = true;
  EXPECT_NE(checkRoomJoin(g).find("room"), std::string::npos);  // no room named
  g.video->room = "r";
  EXPECT_NE(checkRoomJoin(g).find("identity"), std::string::npos);
  g.identity = "i";
  EXPECT_EQ(checkRoomJoin(g), "");
  EXPECT_NE(checkRoomAdmin(g, "r"), "");
  g.video->roomAdmin = true;
  EXPECT_EQ(checkRoomAdmin(g, "r"), "");
  EXPECT_NE(checkRoomAdmin(g, "s"), "");
}

TEST(AccessToken, BearerHeaderParsing) {
  EXPECT_EQ(bearerToken("Bearer abc"), "abc");
  EXPECT_EQ(bearerToken("bearer abc"), "abc");
  EXPECT_EQ(bearerToken("Basic abc"), "");
  EXPECT_EQ(bearerToken("Bearer "), "");
  EXPECT_EQ(bearerToken(""), "");
}

#include "rtc/ice_candidate_init.hpp"

#include <gtest/gtest.h>

using namespace convox::rtc;

TEST(IceCandidateInit, RoundTripsWhatBrowsersSend) {
  const auto parsed = parseIceCandidateInit(
      R"({"candidate":"candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"})");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->candidate, "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host");
  EXPECT_EQ(parsed->sdpMid, "0");
  EXPECT_EQ(parsed->sdpMLineIndex, 0u);
  EXPECT_EQ(parsed->usernameFragment, "abcd");
  const auto again = parseIceCandidateInit(writeIceCandidateInit(*parsed));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->candidate, parsed->candidate);
  EXPECT_EQ(again->sdpMid, "0");
  EXPECT_EQ(again->sdpMLineIndex, 0u);
  EXPECT_EQ(again->usernameFragment, "abcd");
}

TEST(IceCandidateInit, EndOfCandidatesIsAnEmptyCandidate) {
  const auto parsed = parseIceCandidateInit(R"({"candidate":"","sdpMid":null,"sdpMLineIndex":null})");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->candidate.empty());
  EXPECT_FALSE(parsed->sdpMLineIndex.has_value());
}

TEST(IceCandidateInit, AnythingElseIsRefused) {
  EXPECT_FALSE(parseIceCandidateInit("").has_value());
  EXPECT_FALSE(parseIceCandidateInit("candidate:1 1 udp 1 1.2.3.4 5 typ host").has_value());
  EXPECT_FALSE(parseIceCandidateInit(R"(["candidate"])").has_value());
  EXPECT_FALSE(parseIceCandidateInit(R"({"candidate":7})").has_value());
  EXPECT_FALSE(parseIceCandidateInit(R"({"sdpMid":"0"})").has_value());
  // A bad index is dropped, the candidate kept.
  const auto badIndex = parseIceCandidateInit(R"({"candidate":"candidate:x","sdpMLineIndex":-1})");
  ASSERT_TRUE(badIndex.has_value());
  EXPECT_FALSE(badIndex->sdpMLineIndex.has_value());
}

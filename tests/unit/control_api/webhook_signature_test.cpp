#include "control_api/webhook_sender.hpp"

#include <gtest/gtest.h>

namespace convox::control_api {
namespace {

// The expected MAC is from `openssl dgst -sha256 -hmac whsec_test` over "1700000000.<body>".
TEST(WebhookSignature, IsHmacSha256OverTimestampDotBody) {
  EXPECT_EQ(webhookSignature("whsec_test", 1700000000, R"({"event":"call.ended"})"),
            "t=1700000000,v1=0750338cbaf8694a29807212e5b8496056c8c723ee4582675452c77ce7fb36a5");
}

TEST(WebhookSignature, ChangesWithEveryInput) {
  const auto base = webhookSignature("k", 1, "body");
  EXPECT_NE(webhookSignature("k2", 1, "body"), base);
  EXPECT_NE(webhookSignature("k", 2, "body"), base);
  EXPECT_NE(webhookSignature("k", 1, "body2"), base);
}

}  // namespace
}  // namespace convox::control_api

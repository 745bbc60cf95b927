#include "rtc/dcep.hpp"

#include <gtest/gtest.h>

using namespace convox::rtc;

TEST(Dcep, OpenRoundTripsEveryChannelType) {
  struct Case {
    bool ordered;
    std::optional<uint32_t> rexmit;
    std::optional<uint32_t> lifetime;
    uint8_t expectedType;
  } cases[] = {
      {true, {}, {}, 0x00}, {false, {}, {}, 0x80}, {true, 3, {}, 0x01},
      {false, 0, {}, 0x81}, {true, {}, 150, 0x02}, {false, {}, 150, 0x82},
  };
  for (const auto& c : cases) {
    DcepOpen open{"_lossy", {c.ordered, c.rexmit, c.lifetime, "proto", 512}};
    const auto bytes = buildDcepOpen(open);
    EXPECT_EQ(bytes[0], 0x03);
    EXPECT_EQ(bytes[1], c.expectedType);
    std::string error;
    auto back = parseDcepOpen(bytes, error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->label, "_lossy");
    EXPECT_EQ(back->options.protocol, "proto");
    EXPECT_EQ(back->options.ordered, c.ordered);
    EXPECT_EQ(back->options.maxRetransmits, c.rexmit);
    EXPECT_EQ(back->options.maxPacketLifeTimeMs, c.lifetime);
    EXPECT_EQ(back->options.priority, 512);
  }
}

TEST(Dcep, ParsesTheBytesAsRfc8832LaysThemOut) {
  // OPEN, unordered + partial rexmit (0x81), priority 256, 0 retransmits,
  // label "_lossy" (6), protocol "" (0).
  const uint8_t bytes[] = {0x03, 0x81, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x06, 0x00, 0x00, '_', 'l', 'o', 's', 's', 'y'};
  std::string error;
  auto open = parseDcepOpen(bytes, error);
  ASSERT_TRUE(open) << error;
  EXPECT_EQ(open->label, "_lossy");
  EXPECT_FALSE(open->options.ordered);
  EXPECT_EQ(open->options.maxRetransmits, 0u);
}

TEST(Dcep, MalformedOpensAreRejectedWithAReason) {
  std::string error;
  const uint8_t shortMsg[] = {0x03, 0x00};
  EXPECT_FALSE(parseDcepOpen(shortMsg, error));
  EXPECT_NE(error.find("shorter"), std::string::npos);
  const uint8_t wrongLengths[] = {0x03, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x09, 0x00, 0x00, 'a'};
  EXPECT_FALSE(parseDcepOpen(wrongLengths, error));
  EXPECT_NE(error.find("lengths"), std::string::npos);
  const uint8_t badType[] = {0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(parseDcepOpen(badType, error));
  EXPECT_NE(error.find("channel type"), std::string::npos);
  const uint8_t ack[] = {0x02};
  EXPECT_FALSE(parseDcepOpen(ack, error));
  EXPECT_EQ(buildDcepAck(), std::vector<uint8_t>{0x02});
}

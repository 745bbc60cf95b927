// Which NACKed sequence numbers get resent, and how often.
#include "forwarding/nack_responder.hpp"

#include "rtc/rtcp_feedback.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using convox::sfu::NackResponder;

// A generic NACK on the wire for `lost`, parsed back into a view.
class WireNack {
 public:
  explicit WireNack(std::vector<uint16_t> lost) {
    const auto size = convox::rtc::buildNack(0x1234, 0x5678, lost, bytes_);
    EXPECT_TRUE(size.ok());
    const auto packet = convox::rtc::RtcpPacketView::parse(std::span(bytes_).first(*size));
    EXPECT_TRUE(packet.ok());
    const auto nack = convox::rtc::NackView::parse(*packet);
    EXPECT_TRUE(nack.ok());
    view_ = *nack;
  }
  const convox::rtc::NackView& view() const { return view_; }

 private:
  std::array<uint8_t, 1500> bytes_{};
  convox::rtc::NackView view_;
};

std::vector<uint16_t> select(NackResponder& responder, const WireNack& nack, int64_t now) {
  std::array<uint16_t, 64> out{};
  const size_t count = responder.select(nack.view(), now, out);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(count)};
}

TEST(NackResponderTest, ListsEveryLostNumberInWireOrder) {
  NackResponder responder;
  const WireNack nack({65534, 65535, 0, 3, 40});
  EXPECT_EQ(select(responder, nack, 0), (std::vector<uint16_t>{65534, 65535, 0, 3, 40}));
}

TEST(NackResponderTest, RepeatedNackWithinTheIntervalIsIgnored) {
  NackResponder responder(100'000);
  const WireNack nack({10, 11});
  EXPECT_EQ(select(responder, nack, 1'000'000).size(), 2u);
  EXPECT_TRUE(select(responder, nack, 1'050'000).empty());
  const WireNack wider({11, 12});
  EXPECT_EQ(select(responder, wider, 1'060'000), (std::vector<uint16_t>{12}));
  EXPECT_EQ(select(responder, nack, 1'100'000), (std::vector<uint16_t>{10, 11}));
}

TEST(NackResponderTest, GivesUpAfterTheMaximumResends) {
  NackResponder responder(100'000, 2);
  EXPECT_TRUE(responder.shouldResend(5, 0));
  EXPECT_TRUE(responder.shouldResend(5, 100'000));
  EXPECT_FALSE(responder.shouldResend(5, 200'000));
  EXPECT_FALSE(responder.shouldResend(5, 300'000));
  // Long after, the number belongs to a later pass of the numbering.
  EXPECT_TRUE(responder.shouldResend(5, 10'000'000));
}

TEST(NackResponderTest, IntervalFollowsTheRoundTripWithinBounds) {
  NackResponder responder(100'000);
  responder.setRoundTripMicros(40'000);
  EXPECT_EQ(responder.resendIntervalMicros(), 40'000);
  EXPECT_TRUE(responder.shouldResend(1, 0));
  EXPECT_FALSE(responder.shouldResend(1, 39'000));
  EXPECT_TRUE(responder.shouldResend(1, 40'000));
  responder.setRoundTripMicros(1'000);
  EXPECT_EQ(responder.resendIntervalMicros(), 10'000);
  responder.setRoundTripMicros(5'000'000);
  EXPECT_EQ(responder.resendIntervalMicros(), 500'000);
  responder.setRoundTripMicros(0);
  EXPECT_EQ(responder.resendIntervalMicros(), 100'000);
}

TEST(NackResponderTest, NumbersSharingASlotDoNotBlockEachOther) {
  NackResponder responder;
  EXPECT_TRUE(responder.shouldResend(7, 0));
  EXPECT_TRUE(responder.shouldResend(static_cast<uint16_t>(7 + NackResponder::kTrackedSequences), 1));
  EXPECT_TRUE(responder.shouldResend(7, 2));  // evicted, so treated as new
}

TEST(NackResponderTest, StopsAtTheOutputSize) {
  NackResponder responder;
  const WireNack nack({1, 2, 3, 4, 5});
  std::array<uint16_t, 3> out{};
  EXPECT_EQ(responder.select(nack.view(), 0, out), 3u);
  EXPECT_EQ(out, (std::array<uint16_t, 3>{1, 2, 3}));
  // The ones that did not fit were not counted as resent.
  std::array<uint16_t, 8> rest{};
  EXPECT_EQ(responder.select(nack.view(), 1, rest), 2u);
  EXPECT_EQ(rest[0], 4);
  EXPECT_EQ(rest[1], 5);
}

}  // namespace

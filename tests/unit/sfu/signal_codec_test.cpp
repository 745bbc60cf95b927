#include "sfu/signal_codec.hpp"

#include <gtest/gtest.h>

using namespace convox::sfu;

TEST(SignalCodec, BinaryRoundTrip) {
  livekit::SignalRequest req;
  req.mutable_ping_req()->set_timestamp(42);
  livekit::SignalRequest out;
  const auto bytes = req.SerializeAsString();
  ASSERT_TRUE(decodeSignalRequest(bytes, true, out).ok);
  EXPECT_EQ(out.message_case(), livekit::SignalRequest::kPingReq);
  EXPECT_EQ(out.ping_req().timestamp(), 42);
}

TEST(SignalCodec, JsonTextFramesAreAccepted) {
  livekit::SignalRequest out;
  ASSERT_TRUE(decodeSignalRequest(R"({"pingReq":{"timestamp":"7"}})", false, out).ok);
  EXPECT_EQ(out.ping_req().timestamp(), 7);
}

TEST(SignalCodec, GarbageIsRejectedWithAReason) {
  livekit::SignalRequest out;
  const std::string garbage("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x0f", 11);
  auto r = decodeSignalRequest(garbage, true, out);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("SignalRequest"), std::string::npos);
  auto j = decodeSignalRequest("{not json", false, out);
  EXPECT_FALSE(j.ok);
  EXPECT_NE(j.error.find("JSON"), std::string::npos);
}

TEST(SignalCodec, RequestsNewerThanUsDecodeWithNoCase) {
  // Field 19 (publish_data_track_request) is not in our definitions.
  const std::string future("\x9a\x01\x00", 3);
  livekit::SignalRequest out;
  ASSERT_TRUE(decodeSignalRequest(future, true, out).ok);
  EXPECT_EQ(out.message_case(), livekit::SignalRequest::MESSAGE_NOT_SET);
}

TEST(SignalCodec, ResponsesEncodeAsProtobuf) {
  livekit::SignalResponse res;
  res.set_pong(99);
  livekit::SignalResponse back;
  ASSERT_TRUE(back.ParseFromString(encodeSignalResponse(res)));
  EXPECT_EQ(back.pong(), 99);
}

// STUN against RFC 5769's test vectors (their bytes as the RFC prints them),
// our writer read back by our parser, and malformed messages refused with
// a reason.
#include "rtc/stun_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convox::rtc {
namespace {

using Bytes = std::vector<uint8_t>;

// RFC 5769 §2.1: a binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED,
// USERNAME "evtj:h6vY", MESSAGE-INTEGRITY and FINGERPRINT.
const Bytes kSampleRequest = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87,
    0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f,
    0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
    0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

// RFC 5769 §2.2: the IPv4 success response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
const Bytes kSampleResponse = {0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                               0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
                               0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
                               0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
                               0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
                               0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

constexpr const char* kPassword = "VOkJxbRl1RmTxUk/WvJxBt";

TEST(StunMessage, ParsesTheRfc5769SampleRequest) {
  const auto m = StunMessage::parse(kSampleRequest);
  ASSERT_TRUE(m) << describe(m.error());
  EXPECT_TRUE(m->isBindingRequest());
  EXPECT_EQ(m->username, "evtj:h6vY");
  EXPECT_EQ(m->priority, 0x6e0001ffU);
  EXPECT_EQ(m->iceControlled, 0x932ff9b151263b36ULL);
  EXPECT_FALSE(m->iceControlling);
  EXPECT_FALSE(m->useCandidate);
  EXPECT_EQ(m->unknownRequiredCount, 0u);
  EXPECT_TRUE(stunFingerprintValid(*m));
  EXPECT_TRUE(stunIntegrityValid(*m, kPassword));
  EXPECT_FALSE(stunIntegrityValid(*m, "VOkJxbRl1RmTxUk/WvJxBu"));
  const auto user = splitIceUsername(m->username);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->local, "evtj");
  EXPECT_EQ(user->remote, "h6vY");
}

TEST(StunMessage, ParsesTheRfc5769SampleResponse) {
  const auto m = StunMessage::parse(kSampleResponse);
  ASSERT_TRUE(m) << describe(m.error());
  EXPECT_EQ(m->messageClass, StunClass::SuccessResponse);
  EXPECT_EQ(m->method, kStunBindingMethod);
  ASSERT_TRUE(m->xorMappedAddress);
  EXPECT_EQ(m->xorMappedAddress->toString(), "192.0.2.1:32853");
  EXPECT_TRUE(stunFingerprintValid(*m));
  EXPECT_TRUE(stunIntegrityValid(*m, kPassword));
}

TEST(StunMessage, OurWriterReproducesTheSampleResponseByteForByte) {
  Bytes out(200);
  const std::span<const uint8_t> txid(kSampleResponse.data() + 8, 12);
  StunWriter w(out, kStunBindingMethod, StunClass::SuccessResponse, txid);
  // The RFC pads SOFTWARE with a space rather than a zero; write it with its padding byte.
  w.text(stun_attribute::kSoftware, "test vector").xorMappedAddress(*SocketEndpoint::parse("192.0.2.1:32853"));
  ASSERT_TRUE(w.ok());
  out[20 + 4 + 11] = 0x20;
  w.messageIntegrity(kPassword).fingerprint();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Bytes(w.bytes().begin(), w.bytes().end()), kSampleResponse);
}

TEST(StunMessage, WriterAndParserAgreeOnEveryIceAttribute) {
  const std::array<uint8_t, 12> txid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  Bytes out(300);
  StunWriter w(out, kStunBindingMethod, StunClass::Request, txid);
  w.text(stun_attribute::kUsername, "abcd:wxyz")
      .u32(stun_attribute::kPriority, 1845501695)
      .u64(stun_attribute::kIceControlling, 0x0102030405060708ULL)
      .flag(stun_attribute::kUseCandidate)
      .xorMappedAddress(*SocketEndpoint::parse("[2001:db8::1]:443"))
      .messageIntegrity("pass")
      .fingerprint();
  ASSERT_TRUE(w.ok());
  const auto m = StunMessage::parse(w.bytes());
  ASSERT_TRUE(m) << describe(m.error());
  EXPECT_EQ(m->username, "abcd:wxyz");
  EXPECT_EQ(m->priority, 1845501695U);
  EXPECT_EQ(m->iceControlling, 0x0102030405060708ULL);
  EXPECT_TRUE(m->useCandidate);
  ASSERT_TRUE(m->xorMappedAddress);
  EXPECT_EQ(m->xorMappedAddress->toString(), "[2001:db8::1]:443");
  EXPECT_TRUE(stunIntegrityValid(*m, "pass"));
  EXPECT_TRUE(stunFingerprintValid(*m));
}

TEST(StunMessage, ErrorResponsesCarryTheirCodeAndUnknownAttributes) {
  const std::array<uint8_t, 12> txid{};
  Bytes out(200);
  const std::array<uint16_t, 2> unknown = {0x0031, 0x0042};
  StunWriter w(out, kStunBindingMethod, StunClass::ErrorResponse, txid);
  w.errorCode(487, "Role Conflict").unknownAttributes(unknown).fingerprint();
  const auto m = StunMessage::parse(w.bytes());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->messageClass, StunClass::ErrorResponse);
  EXPECT_EQ(m->errorCode, 487);
}

TEST(StunMessage, AFlippedBitBreaksTheFingerprintOrTheIntegrity) {
  for (size_t i = 20; i < kSampleRequest.size(); ++i) {
    Bytes t = kSampleRequest;
    t[i] ^= 0x01;
    const auto m = StunMessage::parse(t);
    if (!m) continue;  // a length or a size broken: refused outright
    EXPECT_FALSE(stunFingerprintValid(*m) && stunIntegrityValid(*m, kPassword)) << "byte " << i;
  }
}

TEST(StunMessage, MalformedMessagesAreRefusedWithAReason) {
  EXPECT_EQ(StunMessage::parse(Bytes(19, 0)).error(), StunError::TooShort);
  Bytes notStun = kSampleRequest;
  notStun[4] = 0;  // cookie
  EXPECT_EQ(StunMessage::parse(notStun).error(), StunError::NotStun);
  EXPECT_FALSE(looksLikeStun(notStun));
  Bytes rtp = kSampleRequest;
  rtp[0] = 0x80;
  EXPECT_EQ(StunMessage::parse(rtp).error(), StunError::NotStun);
  Bytes cut = kSampleRequest;
  cut.resize(cut.size() - 4);
  EXPECT_EQ(StunMessage::parse(cut).error(), StunError::BadLength);
  Bytes overrun = kSampleRequest;
  overrun[22] = 0x01;  // SOFTWARE claims 256+ bytes
  EXPECT_EQ(StunMessage::parse(overrun).error(), StunError::AttributeOverrun);
  Bytes badPriority = kSampleRequest;
  badPriority[43] = 0x08;  // PRIORITY of length 8 (the 8 bytes are there: ICE-CONTROLLED's header and half)
  EXPECT_EQ(StunMessage::parse(badPriority).error(), StunError::BadAttribute);
  // Something after FINGERPRINT.
  Bytes after = kSampleRequest;
  after.insert(after.end(), {0x80, 0x22, 0x00, 0x00});
  after[3] = static_cast<uint8_t>(after.size() - 20);
  EXPECT_EQ(StunMessage::parse(after).error(), StunError::FingerprintNotLast);
  EXPECT_NE(describe(StunError::FingerprintNotLast).find("FINGERPRINT"), std::string_view::npos);
}

TEST(StunMessage, AttributesAfterIntegrityAreIgnoredAndUnknownRequiredOnesListed) {
  const std::array<uint8_t, 12> txid{};
  Bytes out(200);
  StunWriter w(out, kStunBindingMethod, StunClass::Request, txid);
  const std::array<uint8_t, 4> v{1, 2, 3, 4};
  w.attribute(0x0031, v).text(stun_attribute::kUsername, "a:b").messageIntegrity("p");
  // An attribute after MESSAGE-INTEGRITY is not part of what it covers.
  w.flag(stun_attribute::kUseCandidate).fingerprint();
  const auto m = StunMessage::parse(w.bytes());
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->useCandidate);
  ASSERT_EQ(m->unknownRequiredCount, 1u);
  EXPECT_EQ(m->unknownRequired[0], 0x0031);
}

TEST(StunMessage, TheWriterStopsAtTheEndOfItsBuffer) {
  const std::array<uint8_t, 12> txid{};
  Bytes out(30);
  StunWriter w(out, kStunBindingMethod, StunClass::Request, txid);
  w.text(stun_attribute::kUsername, "a-username-longer-than-the-buffer");
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 0u);
}

TEST(SocketEndpoint, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(SocketEndpoint::parse("10.0.0.1:5000")->toString(), "10.0.0.1:5000");
  EXPECT_EQ(SocketEndpoint::parse("[::1]:9")->toString(), "[::1]:9");
  EXPECT_FALSE(SocketEndpoint::parse("10.0.0.1"));
  EXPECT_FALSE(SocketEndpoint::parse("10.0.0.1:70000"));
  EXPECT_FALSE(SocketEndpoint::parse("host:80"));
  EXPECT_NE(SocketEndpointHash{}(*SocketEndpoint::parse("1.2.3.4:5")),
            SocketEndpointHash{}(*SocketEndpoint::parse("1.2.3.4:6")));
}

}  // namespace
}  // namespace convox::rtc

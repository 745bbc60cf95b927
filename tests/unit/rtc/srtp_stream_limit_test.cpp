// Our SRTP's bounds on per-SSRC state: past the inbound cap (2048 streams)
// the stream heard from least recently makes room, so a peer that keeps
// changing SSRCs is still heard, while the streams in use keep their replay
// windows. Outbound streams are not evicted (a remade stream would reuse its
// keystream), so protect refuses past that cap.
#include "rtc/srtp_session.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace convox::rtc {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kInboundCap = 2048;
constexpr size_t kOutboundCap = 8192;

SrtpKeys keys(bool flip) {
  const size_t n = srtpKeyLength(SrtpProfile::AeadAes128Gcm) + srtpSaltLength(SrtpProfile::AeadAes128Gcm);
  Bytes a(n), b(n);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<uint8_t>(3 + 11 * i);
    b[i] = static_cast<uint8_t>(0xA7 ^ (5 * i));
  }
  return SrtpKeys{SrtpProfile::AeadAes128Gcm, flip ? b : a, flip ? a : b};
}

std::unique_ptr<SrtpSession> session(bool flip) {
  std::string error;
  auto s = SrtpSession::create(keys(flip), error, SrtpImplementation::OpenSsl);
  EXPECT_TRUE(s) << error;
  return s;
}

// A protected RTP packet (buffer sized for the tag) from `ssrc`.
Bytes packet(SrtpSession& sender, uint32_t ssrc, uint16_t seq) {
  Bytes p = {0x80,
             111,
             static_cast<uint8_t>(seq >> 8),
             static_cast<uint8_t>(seq),
             0,
             0,
             0,
             1,
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc),
             0xDE,
             0xAD};
  size_t length = p.size();
  p.resize(p.size() + 32);
  EXPECT_EQ(sender.protectRtp(p, length), SrtpStatus::Ok);
  p.resize(length);
  return p;
}

SrtpStatus unprotect(SrtpSession& receiver, Bytes p) {
  size_t length = p.size();
  return receiver.unprotectRtp(p, length);
}

class SrtpStreamLimitTest : public ::testing::Test {
 protected:
  std::unique_ptr<SrtpSession> sender_ = session(false);
  std::unique_ptr<SrtpSession> receiver_ = session(true);
};

TEST_F(SrtpStreamLimitTest, PastTheInboundCapTheLeastRecentStreamMakesRoom) {
  // SSRC 1 is heard first and then again last of all: it is the most recent.
  const Bytes first = packet(*sender_, 1, 100);
  ASSERT_EQ(unprotect(*receiver_, first), SrtpStatus::Ok);
  std::vector<Bytes> opening;  // each other stream's first packet
  for (uint32_t ssrc = 2; ssrc <= kInboundCap; ++ssrc) {
    opening.push_back(packet(*sender_, ssrc, 7));
    ASSERT_EQ(unprotect(*receiver_, opening.back()), SrtpStatus::Ok) << ssrc;
  }
  ASSERT_EQ(unprotect(*receiver_, packet(*sender_, 1, 101)), SrtpStatus::Ok);

  // The table is full; a new SSRC is still heard (SSRC 2, the least recent,
  // goes), and so is the one after it (SSRC 3 goes).
  EXPECT_EQ(unprotect(*receiver_, packet(*sender_, 5000, 1)), SrtpStatus::Ok);
  EXPECT_EQ(unprotect(*receiver_, packet(*sender_, 5001, 1)), SrtpStatus::Ok);

  // Streams kept keep their replay windows: SSRC 1 (recent), SSRC 4 (not yet
  // evicted) and the new ones reject their replays.
  EXPECT_EQ(unprotect(*receiver_, first), SrtpStatus::ReplayDuplicate);
  EXPECT_EQ(unprotect(*receiver_, opening[2]), SrtpStatus::ReplayDuplicate);  // SSRC 4
  EXPECT_EQ(unprotect(*receiver_, packet(*sender_, 5000, 1)), SrtpStatus::ReplayDuplicate);
  // The evicted SSRC 2's state is gone: its packet reads as a new stream's.
  EXPECT_EQ(unprotect(*receiver_, opening[0]), SrtpStatus::Ok);
}

TEST_F(SrtpStreamLimitTest, AnUnauthenticPacketMakesNoStreamAndEvictsNothing) {
  for (uint32_t ssrc = 1; ssrc <= kInboundCap; ++ssrc) {
    ASSERT_EQ(unprotect(*receiver_, packet(*sender_, ssrc, 9)), SrtpStatus::Ok);
  }
  const Bytes kept = packet(*sender_, 1, 9);  // seq 9 of SSRC 1 again: a replay
  Bytes forged = packet(*sender_, 9000, 1);
  forged.back() ^= 1;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(unprotect(*receiver_, forged), SrtpStatus::AuthFailed);
  EXPECT_EQ(unprotect(*receiver_, kept), SrtpStatus::ReplayDuplicate);  // SSRC 1 was not evicted
}

TEST_F(SrtpStreamLimitTest, PastTheOutboundCapProtectRefuses) {
  for (uint32_t ssrc = 1; ssrc <= kOutboundCap; ++ssrc) {
    Bytes p(64, 0);
    p[0] = 0x80;
    p[8] = static_cast<uint8_t>(ssrc >> 24);
    p[9] = static_cast<uint8_t>(ssrc >> 16);
    p[10] = static_cast<uint8_t>(ssrc >> 8);
    p[11] = static_cast<uint8_t>(ssrc);
    size_t length = 20;
    ASSERT_EQ(sender_->protectRtp(p, length), SrtpStatus::Ok) << ssrc;
  }
  Bytes p(64, 0);
  p[0] = 0x80;
  p[11] = 0xFF;
  p[10] = 0xFF;
  size_t length = 20;
  EXPECT_EQ(sender_->protectRtp(p, length), SrtpStatus::TooManyStreams);
}

}  // namespace
}  // namespace convox::rtc

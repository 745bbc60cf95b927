// An up-track's side of the Receiver Reports and connection quality: a report
// block per received layer with the publisher's SSRC, loss and SR echo; the
// quality sample it gives per interval, LOST for an unmuted audio track gone
// silent, not for a muted one.
#include "up_track.hpp"

#include "rtc/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using convox::sfu::QualityInputs;
using convox::sfu::rateConnection;
using convox::sfu::TrackKind;
using convox::sfu::UpTrack;
using convox::sfu::UpTrackParameters;

constexpr uint32_t kSsrc = 0xA1B2C3D4;

UpTrackParameters audioParameters() {
  UpTrackParameters p;
  p.sid = "TR_a";
  p.publisherSid = "PA_a";
  p.kind = TrackKind::Audio;
  p.codec.payloadType = 111;
  p.codec.name = "opus";
  p.codec.clockRate = 48000;
  return p;
}

void receive(UpTrack& track, uint16_t sequence, int64_t nowMicros) {
  std::array<uint8_t, 40> bytes{};
  convox::rtc::RtpHeader h;
  h.payloadType = 111;
  h.sequenceNumber = sequence;
  h.timestamp = sequence * 960u;
  h.ssrc = kSsrc;
  ASSERT_TRUE(convox::rtc::buildRtpHeader(h, {}, bytes).ok());
  auto packet = convox::rtc::RtpPacketView::parse(bytes);
  ASSERT_TRUE(packet.ok());
  track.onRtp(*packet, 0, nowMicros);
}

TEST(UpTrackReportsTest, OneBlockPerReceivedLayerWithLossAndSenderReportEcho) {
  UpTrack track(audioParameters(), nullptr);
  std::array<convox::rtc::ReportBlock, 4> blocks{};
  EXPECT_EQ(track.makeReportBlocks(0, blocks), 0u);  // nothing received yet
  for (uint16_t s = 0; s < 20; ++s) {
    if (s != 7) receive(track, s, s * 20'000);
  }
  track.onSenderReport(kSsrc, uint64_t{0x12345678} << 32, 400'000);
  track.onSenderReport(0xdead, uint64_t{1} << 32, 400'000);  // not ours: ignored
  ASSERT_EQ(track.makeReportBlocks(500'000, blocks), 1u);
  EXPECT_EQ(blocks[0].ssrc, kSsrc);
  EXPECT_EQ(blocks[0].extendedHighestSequence, 19u);
  EXPECT_EQ(blocks[0].cumulativeLost, 1);
  EXPECT_EQ(blocks[0].fractionLost, 256 / 20);
  EXPECT_EQ(blocks[0].lastSr, 0x56780000u);
  EXPECT_EQ(blocks[0].delaySinceLastSr, 6553u);  // 0.1 s
  std::array<convox::rtc::ReportBlock, 0> none{};
  EXPECT_EQ(track.makeReportBlocks(500'000, none), 0u);  // no room: nothing written
}

TEST(UpTrackReportsTest, QualitySamplesCoverOneIntervalEach) {
  UpTrack track(audioParameters(), nullptr);
  for (uint16_t s = 0; s < 100; ++s) {
    if (s % 10 != 0) receive(track, s, s * 20'000);  // 10% lost
  }
  QualityInputs first;
  track.sampleQuality(first);
  // 1..99 from the first packet that arrived: 10, 20 .. 90 lost.
  EXPECT_NEAR(first.lossPercent(), 100.0 * 9 / 99, 1e-9);
  EXPECT_EQ(rateConnection(first).quality, convox::sfu::ConnectionQuality::Poor);
  for (uint16_t s = 100; s < 200; ++s) receive(track, s, s * 20'000);
  QualityInputs second;
  track.sampleQuality(second);
  EXPECT_DOUBLE_EQ(second.lossPercent(), 0.0);
  EXPECT_EQ(rateConnection(second).quality, convox::sfu::ConnectionQuality::Excellent);
}

TEST(UpTrackReportsTest, SilentAudioIsLostUnlessMuted) {
  UpTrack track(audioParameters(), nullptr);
  for (uint16_t s = 0; s < 10; ++s) receive(track, s, s * 20'000);
  QualityInputs flowing;
  track.sampleQuality(flowing);
  EXPECT_FALSE(flowing.silentAudio());
  QualityInputs silent;
  track.sampleQuality(silent);  // nothing since the last sample
  EXPECT_EQ(rateConnection(silent).quality, convox::sfu::ConnectionQuality::Lost);
  track.setMuted(true);
  QualityInputs muted;
  track.sampleQuality(muted);
  EXPECT_FALSE(muted.silentAudio());
  EXPECT_EQ(rateConnection(muted).quality, convox::sfu::ConnectionQuality::Excellent);
}

}  // namespace

// An up-track's side of the Receiver Reports and connection quality: a report
// block per received layer with the publisher's SSRC, loss and SR echo; the
// quality sample it gives per interval, LOST for an unmuted audio track gone
// silent, not for a muted one.
#include "up_track.hpp"

#include "rtc/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

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

namespace {

UpTrackParameters videoParameters() {
  UpTrackParameters p = audioParameters();
  p.kind = TrackKind::Video;
  p.codec.payloadType = 96;
  p.codec.name = "VP8";
  p.codec.clockRate = 90000;
  return p;
}

}  // namespace

// Upstream loss on video is asked for again (a generic NACK to the publisher)
// once it has outlived reordering; audio is never NACKed.
TEST(UpTrackReportsTest, VideoLossIsNackedToThePublisherAudioLossIsNot) {
  std::vector<std::pair<uint32_t, std::vector<uint16_t>>> sent;
  auto record = [&sent](uint32_t ssrc, std::span<const uint16_t> lost) {
    sent.emplace_back(ssrc, std::vector<uint16_t>(lost.begin(), lost.end()));
  };
  UpTrack video(videoParameters(), nullptr);
  video.setNackSender(record);
  receive(video, 1, 0);
  receive(video, 4, 1'000);  // 2 and 3 lost
  receive(video, 5, 2'000);
  EXPECT_TRUE(sent.empty());  // might still be reordering
  receive(video, 6, 20'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, kSsrc);
  EXPECT_EQ(sent[0].second, (std::vector<uint16_t>{2, 3}));
  receive(video, 2, 25'000);   // the retransmission
  receive(video, 7, 100'000);  // a retry asks only for what is still missing
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].second, (std::vector<uint16_t>{3}));

  UpTrack audio(audioParameters(), nullptr);
  audio.setNackSender(record);
  receive(audio, 1, 0);
  receive(audio, 4, 1'000);
  receive(audio, 5, 50'000);
  EXPECT_EQ(sent.size(), 2u);
}

// A simulcast VP8 up-track with real down-tracks on a fake clock: the layer
// each subscriber gets follows its UpdateTrackSettings (quality or size) and
// changes only at the target's key frame, the outgoing stream stays
// continuous (sequence numbers, VP8 picture ids), and dynacast aggregates what
// the subscribers want.
#include "down_track.hpp"
#include "forwarding/dynacast_quality.hpp"
#include "forwarding/keyframe.hpp"
#include "forwarding/rtx_packet.hpp"
#include "rtc/rtcp_feedback.hpp"
#include "rtc/rtcp_packet.hpp"
#include "up_track.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace {

using namespace convox;
using sfu::DownTrack;
using sfu::DownTrackSettings;
using sfu::DynacastQuality;
using sfu::UpTrack;

constexpr std::array<uint32_t, 3> kLayerSsrc = {0x1000, 0x2000, 0x3000};
constexpr int64_t kFrameMicros = 33'000;
constexpr int64_t kDynacastDelay = DynacastQuality::kDefaultDowngradeDelayMicros;

constexpr uint8_t kRtxPayloadType = 97;

struct Sent {
  uint16_t sequenceNumber;
  uint32_t ssrc;
  uint16_t pictureId;
  uint8_t tl0PicIdx;
  bool keyFrame;
  std::optional<uint16_t> originalSequenceNumber;  // RTX only
};

class RecordingSink : public sfu::DownTrackSink {
 public:
  void sendRtp(std::span<uint8_t> buffer, size_t length) override {
    auto packet = rtc::RtpPacketView::parse(buffer.first(length));
    ASSERT_TRUE(packet);
    std::span<const uint8_t> payload = packet->payload();
    std::optional<uint16_t> osn;
    if (packet->payloadType() == kRtxPayloadType) {
      uint16_t original = 0;
      ASSERT_TRUE(sfu::parseRtxPayload(packet->payload(), original, payload));
      osn = original;
    }
    const auto vp8 = sfu::parseVp8(payload);
    ASSERT_TRUE(vp8);
    sent.push_back({packet->sequenceNumber(), packet->ssrc(), vp8->pictureId, vp8->tl0PicIdx, vp8->keyFrame, osn});
  }
  void onUpTrackClosed(DownTrack&) override { closed = true; }

  std::vector<Sent> sent;
  bool closed = false;
};

// One layer's stream as Chrome sends it: its own SSRC, sequence numbers and
// VP8 picture numbering, one packet per frame.
struct LayerSource {
  uint32_t ssrc;
  uint16_t sequenceNumber;
  uint16_t pictureId;
  uint8_t tl0PicIdx;
};

class SimulcastDownTrackTest : public ::testing::Test {
 protected:
  SimulcastDownTrackTest() {
    sfu::UpTrackParameters params;
    params.sid = "TR_video";
    params.publisherSid = "PA_alice";
    params.kind = sfu::TrackKind::Video;
    params.codec.name = "VP8";
    params.codec.clockRate = 90000;
    params.simulcast = true;
    params.layers = {{0, 320, 180, 150'000}, {1, 640, 360, 500'000}, {2, 1280, 720, 1'700'000}};
    up = std::make_shared<UpTrack>(params, [this](uint32_t ssrc) { keyframeRequests.push_back(ssrc); });
    for (size_t q = 0; q < 3; ++q) {
      // Layers numbered far apart, as independent encoders are.
      sources[q] = {kLayerSsrc[q], static_cast<uint16_t>(100 + 10'000 * q), static_cast<uint16_t>(500 + 7'000 * q),
                    static_cast<uint8_t>(10 + 80 * q)};
    }
  }

  std::unique_ptr<DownTrack> subscribe(RecordingSink& sink, uint32_t rtxSsrc = 0) {
    sfu::DownTrackParameters params{0xabcdef, 96, 90000, "0", rtxSsrc, rtxSsrc != 0 ? kRtxPayloadType : uint8_t{0}};
    auto down = std::make_unique<DownTrack>(up, sink, params);
    down->updateTarget(now);
    return down;
  }

  // One frame of each layer in `layers` (bit q = layer q); key frames on the
  // layers in `keyLayers`.
  void frame(uint8_t layers = 0b111, uint8_t keyLayers = 0) {
    now += kFrameMicros;
    for (int q = 0; q < 3; ++q) {
      if (((layers >> q) & 1u) == 0) continue;
      auto& source = sources[static_cast<size_t>(q)];
      const bool key = ((keyLayers >> q) & 1u) != 0;
      std::vector<uint8_t> packet(12);
      rtc::RtpHeader header;
      header.payloadType = 96;
      header.sequenceNumber = source.sequenceNumber++;
      header.timestamp = static_cast<uint32_t>(now / 11);
      header.ssrc = source.ssrc;
      ASSERT_TRUE(rtc::buildRtpHeader(header, {}, packet));
      const std::vector<uint8_t> descriptor = {0x90,
                                               0xE0,
                                               static_cast<uint8_t>(0x80 | (source.pictureId >> 8)),
                                               static_cast<uint8_t>(source.pictureId),
                                               source.tl0PicIdx,
                                               0x40};
      const std::vector<uint8_t> keyHeader = {0x50, 0x2d, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
      const std::vector<uint8_t> interHeader = {0x31, 0x2d, 0x00};
      packet.insert(packet.end(), descriptor.begin(), descriptor.end());
      const auto& body = key ? keyHeader : interHeader;
      packet.insert(packet.end(), body.begin(), body.end());
      source.pictureId = static_cast<uint16_t>((source.pictureId + 1) & 0x7fff);
      ++source.tl0PicIdx;
      auto view = rtc::RtpPacketView::parse(packet);
      ASSERT_TRUE(view);
      up->onRtp(*view, q, now);
    }
  }

  int64_t now = 1'000'000'000;
  std::shared_ptr<UpTrack> up;
  std::vector<uint32_t> keyframeRequests;
  std::array<LayerSource, 3> sources{};
};

// Sequence numbers and picture ids of everything sent run on by one.
void expectContinuous(const std::vector<Sent>& sent) {
  for (size_t i = 1; i < sent.size(); ++i) {
    EXPECT_EQ(static_cast<uint16_t>(sent[i].sequenceNumber - sent[i - 1].sequenceNumber), 1) << "packet " << i;
    EXPECT_EQ(static_cast<uint16_t>((sent[i].pictureId - sent[i - 1].pictureId) & 0x7fff), 1) << "packet " << i;
    EXPECT_EQ(static_cast<uint8_t>(sent[i].tl0PicIdx - sent[i - 1].tl0PicIdx), 1) << "packet " << i;
  }
}

TEST_F(SimulcastDownTrackTest, LowQualityStartsOnTheLowLayersKeyFrameOnly) {
  RecordingSink sink;
  frame();  // every layer live
  auto down = subscribe(sink);
  down->applySettings({false, 0, 0, 0}, now);
  EXPECT_EQ(down->targetLayer(), 0);
  ASSERT_FALSE(keyframeRequests.empty());
  EXPECT_EQ(keyframeRequests.back(), kLayerSsrc[0]);
  frame(0b111, 0b110);  // key frames, but not of LOW
  EXPECT_TRUE(sink.sent.empty());
  frame(0b111, 0b001);
  frame();
  frame();
  ASSERT_EQ(sink.sent.size(), 3u);
  EXPECT_TRUE(sink.sent[0].keyFrame);
  for (const auto& s : sink.sent) EXPECT_EQ(s.ssrc, 0xabcdefu);
  EXPECT_EQ(down->currentLayer(), 0);
  expectContinuous(sink.sent);
}

TEST_F(SimulcastDownTrackTest, SwitchingUpWaitsForTheKeyFrameAndStaysContinuous) {
  RecordingSink sink;
  frame();
  auto down = subscribe(sink);
  down->applySettings({false, 0, 0, 0}, now);
  frame(0b111, 0b001);
  // Past the up-track's key frame request rate limit for HIGH (asked for at subscribe).
  for (int i = 0; i < 20; ++i) frame();
  const size_t lowPackets = sink.sent.size();
  ASSERT_EQ(lowPackets, 21u);
  keyframeRequests.clear();
  down->applySettings({false, 2, 0, 0}, now);
  EXPECT_EQ(down->targetLayer(), 2);
  ASSERT_EQ(keyframeRequests.size(), 1u);
  EXPECT_EQ(keyframeRequests[0], kLayerSsrc[2]);
  frame();  // LOW keeps flowing until HIGH's key frame
  EXPECT_EQ(down->currentLayer(), 0);
  frame(0b111, 0b100);
  frame();
  EXPECT_EQ(down->currentLayer(), 2);
  // LOW until HIGH's key frame (LOW comes first within a frame), then HIGH
  // alone: one packet per frame.
  ASSERT_EQ(sink.sent.size(), lowPackets + 4);
  EXPECT_TRUE(sink.sent[lowPackets + 2].keyFrame);
  expectContinuous(sink.sent);
}

TEST_F(SimulcastDownTrackTest, RetransmissionsCarryTheRewrittenPictureIds) {
  RecordingSink sink;
  frame();
  auto down = subscribe(sink);
  down->applySettings({false, 0, 0, 0}, now);
  frame(0b111, 0b001);
  for (int i = 0; i < 20; ++i) frame();
  down->applySettings({false, 2, 0, 0}, now);
  frame(0b111, 0b100);
  frame();
  frame();
  ASSERT_EQ(down->currentLayer(), 2);
  const size_t count = sink.sent.size();
  // The subscriber lost the last HIGH packet and one LOW packet before the switch.
  const Sent lostHigh = sink.sent[count - 1];
  const Sent lostLow = sink.sent[count - 6];
  std::vector<uint8_t> nack(64);
  const std::array<uint16_t, 2> lost = {lostLow.sequenceNumber, lostHigh.sequenceNumber};
  const auto size = rtc::buildNack(0x1, 0xabcdef, lost, nack);
  ASSERT_TRUE(size);
  auto rtcp = rtc::RtcpPacketView::parse(std::span<uint8_t>(nack.data(), *size));
  ASSERT_TRUE(rtcp);
  auto view = rtc::NackView::parse(*rtcp);
  ASSERT_TRUE(view);
  down->onNack(*view, now);
  // Only HIGH's packet is resent (LOW's numbering is gone since the switch),
  // with the picture id the subscriber saw the first time.
  ASSERT_EQ(sink.sent.size(), count + 1);
  EXPECT_EQ(down->retransmissions(), 1u);
  EXPECT_EQ(sink.sent.back().sequenceNumber, lostHigh.sequenceNumber);
  EXPECT_EQ(sink.sent.back().pictureId, lostHigh.pictureId);
  EXPECT_EQ(sink.sent.back().tl0PicIdx, lostHigh.tl0PicIdx);
}

TEST_F(SimulcastDownTrackTest, RenderedSizePicksTheLayerThatCoversIt) {
  RecordingSink sink;
  frame();
  auto down = subscribe(sink);
  down->applySettings({false, 0, 640, 360}, now);  // the size wins over the quality
  EXPECT_EQ(down->targetLayer(), 1);
  down->applySettings({false, 2, 300, 170}, now);
  EXPECT_EQ(down->targetLayer(), 0);
  down->applySettings({false, 2, 1920, 1080}, now);
  EXPECT_EQ(down->targetLayer(), 2);
}

TEST_F(SimulcastDownTrackTest, FallsBackToALiveLayerWhenTheWantedOneStops) {
  RecordingSink sink;
  frame();
  auto down = subscribe(sink);
  frame(0b111, 0b100);
  EXPECT_EQ(down->currentLayer(), 2);
  // HIGH stops (the publisher paused it); after the liveness timeout the
  // down-track re-targets to MEDIUM while still wanting HIGH.
  for (int i = 0; i < 40; ++i) frame(0b011);
  down->updateTarget(now);
  EXPECT_EQ(down->targetLayer(), 1);
  EXPECT_EQ(down->wantedQuality(), 2);
  frame(0b011, 0b010);
  EXPECT_EQ(down->currentLayer(), 1);
  expectContinuous(sink.sent);
}

TEST_F(SimulcastDownTrackTest, DisabledForwardsNothingAndWantsNothing) {
  RecordingSink sink;
  frame();
  auto down = subscribe(sink);
  frame(0b111, 0b111);
  const size_t before = sink.sent.size();
  ASSERT_GT(before, 0u);
  down->applySettings({true, 2, 0, 0}, now);
  EXPECT_EQ(down->wantedQuality(), DynacastQuality::kNone);
  frame(0b111, 0b111);
  EXPECT_EQ(sink.sent.size(), before);
  // Enabled again: resumes at the next key frame, without a sequence gap.
  down->applySettings({false, 2, 0, 0}, now);
  frame();
  EXPECT_EQ(sink.sent.size(), before);
  frame(0b111, 0b100);
  EXPECT_EQ(sink.sent.size(), before + 1);
  expectContinuous(sink.sent);
}

TEST_F(SimulcastDownTrackTest, DynacastFollowsTheHighestWishWithTheDelayDown) {
  RecordingSink sinkA;
  RecordingSink sinkB;
  frame();
  auto a = subscribe(sinkA);
  auto b = subscribe(sinkB);
  a->applySettings({false, 0, 0, 0}, now);
  b->applySettings({false, 1, 0, 0}, now);
  EXPECT_FALSE(up->updateLayers(now));  // HIGH is published; lowering waits
  EXPECT_FALSE(up->updateLayers(now + kDynacastDelay - 1));
  EXPECT_TRUE(up->updateLayers(now + kDynacastDelay));
  EXPECT_EQ(up->dynacastQuality(), 1);
  now += kDynacastDelay;
  // One subscriber wants HIGH: at once.
  a->applySettings({false, 2, 0, 0}, now);
  EXPECT_TRUE(up->updateLayers(now));
  EXPECT_EQ(up->dynacastQuality(), 2);
  // A disabled subscriber and a vanished one want nothing: all paused after the delay.
  a->applySettings({true, 2, 0, 0}, now);
  b.reset();
  EXPECT_FALSE(up->updateLayers(now));
  EXPECT_TRUE(up->updateLayers(now + kDynacastDelay));
  EXPECT_EQ(up->dynacastQuality(), DynacastQuality::kNone);
}

TEST_F(SimulcastDownTrackTest, NoSubscribersPausesEveryLayerAfterTheDelay) {
  frame();
  EXPECT_FALSE(up->updateLayers(now));
  EXPECT_TRUE(up->updateLayers(now + kDynacastDelay));
  EXPECT_EQ(up->dynacastQuality(), DynacastQuality::kNone);
  RecordingSink sink;
  auto down = subscribe(sink);  // default request: HIGH
  EXPECT_TRUE(up->updateLayers(now + kDynacastDelay + 1));
  EXPECT_EQ(up->dynacastQuality(), 2);
}

}  // namespace

TEST_F(SimulcastDownTrackTest, WithRtxNegotiatedResendsGoOnTheRtxStreamWithTheirOriginalNumber) {
  RecordingSink sink;
  frame();
  auto down = subscribe(sink, 0x5151);
  down->applySettings({false, 0, 0, 0}, now);
  frame(0b111, 0b001);
  for (int i = 0; i < 5; ++i) frame();
  auto nackFor = [&](uint16_t sequence) {
    std::vector<uint8_t> nack(64);
    const std::array<uint16_t, 1> lost = {sequence};
    const auto size = rtc::buildNack(0x1, 0xabcdef, lost, nack);
    auto rtcp = rtc::RtcpPacketView::parse(std::span<uint8_t>(nack.data(), *size));
    auto view = rtc::NackView::parse(*rtcp);
    down->onNack(*view, now);
  };
  const Sent lost = sink.sent[2];
  // Until the answer keeps rtx, a resend is the original packet again.
  nackFor(lost.sequenceNumber);
  ASSERT_FALSE(sink.sent.back().originalSequenceNumber);
  EXPECT_EQ(sink.sent.back().ssrc, 0xabcdefu);

  down->setRtxNegotiated(true);
  now += 200'000;  // past the resend interval
  nackFor(lost.sequenceNumber);
  const Sent first = sink.sent.back();
  EXPECT_EQ(first.ssrc, 0x5151u);
  ASSERT_TRUE(first.originalSequenceNumber);
  EXPECT_EQ(*first.originalSequenceNumber, lost.sequenceNumber);
  EXPECT_EQ(first.pictureId, lost.pictureId);
  now += 200'000;
  nackFor(sink.sent[3].sequenceNumber);
  // The RTX stream numbers its own packets.
  EXPECT_EQ(static_cast<uint16_t>(sink.sent.back().sequenceNumber - first.sequenceNumber), 1);
  EXPECT_EQ(*sink.sent.back().originalSequenceNumber, sink.sent[3].sequenceNumber);
}

namespace {

// What an audio subscriber received: payload type and payload bytes.
class AudioSink : public sfu::DownTrackSink {
 public:
  void sendRtp(std::span<uint8_t> buffer, size_t length) override {
    auto packet = rtc::RtpPacketView::parse(buffer.first(length));
    ASSERT_TRUE(packet);
    const auto payload = packet->payload();
    sent.emplace_back(packet->payloadType(), std::vector<uint8_t>(payload.begin(), payload.end()));
  }
  void onUpTrackClosed(DownTrack&) override {}
  std::vector<std::pair<uint8_t, std::vector<uint8_t>>> sent;
};

// A RED packet as Chrome sends it for Opus 111 in RED 63: one redundant
// block (the previous frame), then the primary.
std::vector<uint8_t> redPacket(uint16_t sequence, const std::vector<uint8_t>& previous,
                               const std::vector<uint8_t>& primary) {
  std::vector<uint8_t> packet(12);
  rtc::RtpHeader header;
  header.payloadType = 63;
  header.sequenceNumber = sequence;
  header.timestamp = sequence * 960u;
  header.ssrc = 0xfeed;
  EXPECT_TRUE(rtc::buildRtpHeader(header, {}, packet));
  // F=1, PT 111, timestamp offset 960, length of `previous`.
  packet.insert(packet.end(), {static_cast<uint8_t>(0x80 | 111), static_cast<uint8_t>(960 >> 6),
                               static_cast<uint8_t>(((960 & 0x3f) << 2) | (previous.size() >> 8)),
                               static_cast<uint8_t>(previous.size())});
  packet.push_back(111);  // the primary's header: F=0, PT 111
  packet.insert(packet.end(), previous.begin(), previous.end());
  packet.insert(packet.end(), primary.begin(), primary.end());
  return packet;
}

}  // namespace

TEST(RedDownTrackTest, RedGoesAsItIsToRedSubscribersAndAsItsPrimaryToOthers) {
  sfu::UpTrackParameters params;
  params.sid = "TR_mic";
  params.kind = sfu::TrackKind::Audio;
  params.codec.name = "opus";
  params.codec.payloadType = 111;
  params.codec.clockRate = 48000;
  params.redPayloadType = 63;
  auto up = std::make_shared<UpTrack>(params, nullptr);
  AudioSink redSink;
  AudioSink opusSink;
  // Our Opus is 111 as well; the red subscriber took red 63, the other did not.
  DownTrack red(up, redSink, {0x1, 111, 48000, "0", 0, 0, 63});
  DownTrack opus(up, opusSink, {0x2, 111, 48000, "1", 0, 0, 63});
  red.setRedNegotiated(true);
  opus.setRedNegotiated(false);

  auto bytes = redPacket(7, {0xA1, 0xA2}, {0xB1, 0xB2, 0xB3});
  auto packet = rtc::RtpPacketView::parse(bytes);
  ASSERT_TRUE(packet);
  up->onRtp(*packet, 0, 1'000'000);
  ASSERT_EQ(redSink.sent.size(), 1u);
  EXPECT_EQ(redSink.sent[0].first, 63);
  EXPECT_EQ(redSink.sent[0].second.size(), 5u + 2u + 3u);  // headers, redundant and primary
  ASSERT_EQ(opusSink.sent.size(), 1u);
  EXPECT_EQ(opusSink.sent[0].first, 111);
  EXPECT_EQ(opusSink.sent[0].second, (std::vector<uint8_t>{0xB1, 0xB2, 0xB3}));

  // A malformed RED payload (a block longer than the packet) is dropped for
  // the Opus subscriber, which would otherwise get garbage.
  bytes = redPacket(8, {0xA1, 0xA2}, {});
  bytes[12 + 3] = 0xff;
  packet = rtc::RtpPacketView::parse(bytes);
  ASSERT_TRUE(packet);
  up->onRtp(*packet, 0, 1'020'000);
  EXPECT_EQ(opusSink.sent.size(), 1u);
}

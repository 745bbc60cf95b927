// TwccRecorder: what it records (wrap, reordering, duplicates, stragglers,
// window overflow) and the feedback it builds, decoded with rtc's parser.
#include "forwarding/twcc_recorder.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using convox::sfu::TwccRecorder;
using namespace convox::rtc;

struct Decoded {
  uint16_t base = 0;
  uint8_t feedbackCount = 0;
  uint32_t senderSsrc = 0;
  uint32_t mediaSsrc = 0;
  std::vector<TwccPacketStatus> statuses;
  std::vector<int64_t> arrivalsUs;  // of the received ones, from reference time + deltas
};

// Floor to the 250 us wire resolution.
int64_t onWire(int64_t us) { return (us >= 0 ? us / 250 : (us - 249) / 250) * 250; }

std::vector<Decoded> drain(TwccRecorder& recorder) {
  std::vector<Decoded> out;
  std::array<uint8_t, TwccRecorder::kMaxFeedbackBytes> buffer{};
  for (;;) {
    const size_t size = recorder.buildFeedback(7, 9, buffer);
    if (size == 0) break;
    EXPECT_LE(size, buffer.size());
    const auto packet = RtcpPacketView::parse(std::span(buffer).first(size));
    EXPECT_TRUE(packet) << describe(packet.error());
    if (!packet) break;
    const auto view = TwccFeedbackView::parse(*packet);
    EXPECT_TRUE(view) << describe(view.error());
    if (!view) break;
    Decoded d;
    d.base = view->baseSequenceNumber();
    d.feedbackCount = view->feedbackPacketCount();
    d.senderSsrc = view->senderSsrc();
    d.mediaSsrc = view->mediaSsrc();
    d.statuses.resize(view->packetStatusCount());
    d.statuses.resize(view->packets(d.statuses));
    int64_t t = view->referenceTimeUs();
    for (const auto& s : d.statuses) {
      if (!s.received) continue;
      t += s.deltaUs;
      d.arrivalsUs.push_back(t);
    }
    out.push_back(std::move(d));
    if (out.size() > 100) break;  // a recorder that never runs dry
  }
  return out;
}

TEST(TwccRecorderTest, InOrderPacketsInOneFeedback) {
  TwccRecorder recorder;
  std::vector<int64_t> expected;
  for (int i = 0; i < 50; ++i) {
    const int64_t t = 5'000'123 + i * 1'700;
    recorder.record(static_cast<uint16_t>(100 + i), t);
    expected.push_back(onWire(t));
  }
  EXPECT_EQ(recorder.pending(), 50u);
  const auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 1u);
  EXPECT_EQ(recorder.pending(), 0u);
  EXPECT_EQ(feedback[0].base, 100);
  EXPECT_EQ(feedback[0].senderSsrc, 7u);
  EXPECT_EQ(feedback[0].mediaSsrc, 9u);
  ASSERT_EQ(feedback[0].statuses.size(), 50u);
  for (const auto& s : feedback[0].statuses) EXPECT_TRUE(s.received);
  EXPECT_EQ(feedback[0].arrivalsUs, expected);
  EXPECT_TRUE(drain(recorder).empty());
}

TEST(TwccRecorderTest, WrapsAt65535AndCountsFeedbackPackets) {
  TwccRecorder recorder;
  for (int i = 0; i < 12; ++i) recorder.record(static_cast<uint16_t>(65530 + i), 1'000'000 + i * 1000);
  auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 1u);
  EXPECT_EQ(feedback[0].base, 65530);
  ASSERT_EQ(feedback[0].statuses.size(), 12u);
  EXPECT_EQ(feedback[0].statuses[6].sequenceNumber, 0);
  EXPECT_EQ(feedback[0].statuses[11].sequenceNumber, 5);
  EXPECT_EQ(feedback[0].feedbackCount, 0);
  recorder.record(6, 1'020'000);
  feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 1u);
  EXPECT_EQ(feedback[0].base, 6);
  EXPECT_EQ(feedback[0].feedbackCount, 1);
}

TEST(TwccRecorderTest, MissingPacketsAreReportedNotReceived) {
  TwccRecorder recorder;
  recorder.record(10, 1'000'000);
  recorder.record(13, 1'003'000);
  recorder.record(20, 1'010'000);
  const auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 1u);
  ASSERT_EQ(feedback[0].statuses.size(), 11u);
  for (size_t i = 0; i < 11; ++i) {
    EXPECT_EQ(feedback[0].statuses[i].received, i == 0 || i == 3 || i == 10) << i;
  }
  EXPECT_EQ(feedback[0].arrivalsUs, (std::vector<int64_t>{1'000'000, 1'003'000, 1'010'000}));
}

TEST(TwccRecorderTest, ReorderedPacketsGetNegativeAndLargeDeltas) {
  TwccRecorder recorder;
  recorder.record(1, 2'000'000);
  recorder.record(3, 2'100'000);  // 100 ms later: over the 63.75 ms of a small delta
  recorder.record(2, 2'102'000);  // arrives after 3: 3's delta is negative
  recorder.record(4, 2'102'250);
  const auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 1u);
  ASSERT_EQ(feedback[0].statuses.size(), 4u);
  EXPECT_EQ(feedback[0].statuses[1].deltaUs, 102'000);
  EXPECT_EQ(feedback[0].statuses[2].deltaUs, -2'000);
  EXPECT_EQ(feedback[0].statuses[3].deltaUs, 2'250);
  EXPECT_EQ(feedback[0].arrivalsUs, (std::vector<int64_t>{2'000'000, 2'102'000, 2'100'000, 2'102'250}));
}

TEST(TwccRecorderTest, DuplicatesKeepTheFirstArrivalAndStragglersAreDropped) {
  TwccRecorder recorder;
  recorder.record(500, 1'000'000);
  recorder.record(501, 1'001'000);
  recorder.record(501, 1'050'000);
  EXPECT_EQ(recorder.pending(), 2u);
  auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 1u);
  EXPECT_EQ(feedback[0].arrivalsUs, (std::vector<int64_t>{1'000'000, 1'001'000}));
  recorder.record(499, 1'060'000);  // before the first ever
  recorder.record(501, 1'061'000);  // already reported
  EXPECT_EQ(recorder.pending(), 0u);
  EXPECT_TRUE(drain(recorder).empty());
}

TEST(TwccRecorderTest, SplitsLongRunsIntoSeveralPackets) {
  TwccRecorder recorder;
  constexpr int kPackets = 1000;
  for (int i = 0; i < kPackets; ++i) {
    if (i % 3 == 1) continue;  // mixed statuses: vector chunks
    recorder.record(static_cast<uint16_t>(65000 + i), 3'000'000 + i * 400);
  }
  const auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 3u);
  size_t covered = 0;
  uint16_t expectedBase = 65000;
  for (size_t i = 0; i < feedback.size(); ++i) {
    EXPECT_EQ(feedback[i].base, expectedBase);
    EXPECT_EQ(feedback[i].feedbackCount, i);
    EXPECT_LE(feedback[i].statuses.size(), TwccRecorder::kMaxStatusesPerFeedback);
    EXPECT_TRUE(feedback[i].statuses.back().received);  // ends at a received packet
    for (size_t k = 0; k < feedback[i].statuses.size(); ++k) {
      const int index = static_cast<int>(covered + k);
      EXPECT_EQ(feedback[i].statuses[k].sequenceNumber, static_cast<uint16_t>(65000 + index));
      EXPECT_EQ(feedback[i].statuses[k].received, index % 3 != 1) << index;
    }
    covered += feedback[i].statuses.size();
    expectedBase = static_cast<uint16_t>(65000 + covered);
  }
  EXPECT_EQ(covered, static_cast<size_t>(kPackets));
}

TEST(TwccRecorderTest, ArrivalsTooFarApartStartANewPacket) {
  TwccRecorder recorder;
  recorder.record(1, 1'000'000);
  recorder.record(2, 1'001'000);
  recorder.record(4, 1'001'000 + TwccRecorder::kMaxDeltaUs + 1);  // the 16-bit delta would overflow
  const auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 2u);
  EXPECT_EQ(feedback[0].base, 1);
  EXPECT_EQ(feedback[0].statuses.size(), 2u);
  EXPECT_EQ(feedback[1].base, 3);
  ASSERT_EQ(feedback[1].statuses.size(), 2u);
  EXPECT_FALSE(feedback[1].statuses[0].received);
  EXPECT_EQ(feedback[1].arrivalsUs, (std::vector<int64_t>{onWire(1'001'000 + TwccRecorder::kMaxDeltaUs + 1)}));
}

TEST(TwccRecorderTest, GivesUpTheOldestWhenTheWindowOverflows) {
  TwccRecorder recorder;
  recorder.record(0, 1'000'000);
  recorder.record(5000, 1'100'000);
  // Numbers before 5000 - kCapacity + 1 are given up; the rest are lost but
  // for 5000, and packets with nothing received are not sent.
  const auto feedback = drain(recorder);
  ASSERT_EQ(feedback.size(), 1u);
  EXPECT_GE(feedback[0].base, 5000 - TwccRecorder::kCapacity + 1);
  ASSERT_FALSE(feedback[0].statuses.empty());
  EXPECT_EQ(feedback[0].statuses.back().sequenceNumber, 5000);
  EXPECT_EQ(feedback[0].arrivalsUs, (std::vector<int64_t>{1'100'000}));
}

}  // namespace

// The connection-quality rule: what each side's loss, jitter and round trip
// rate, where the bands meet, LOST for a silent audio track, and the
// interval counter that feeds it.
#include "forwarding/connection_quality.hpp"

#include <gtest/gtest.h>

namespace {

using convox::sfu::ConnectionQuality;
using convox::sfu::IntervalCounter;
using convox::sfu::QualityInputs;
using convox::sfu::rateConnection;

// A publisher side losing `lost` of 1000 packets, with `jitter` ms.
QualityInputs publishing(uint64_t lost, double jitter = 1.0) {
  QualityInputs in;
  in.addPublishedStream(1000, 1000 - lost, jitter);
  return in;
}

TEST(ConnectionQualityTest, NothingMeasuredIsExcellent) {
  const auto rating = rateConnection(QualityInputs{});
  EXPECT_EQ(rating.quality, ConnectionQuality::Excellent);
  EXPECT_FLOAT_EQ(rating.score, 5.0f);
}

TEST(ConnectionQualityTest, LossBandsOnTheScore) {
  EXPECT_EQ(rateConnection(publishing(0)).quality, ConnectionQuality::Excellent);
  EXPECT_FLOAT_EQ(rateConnection(publishing(0)).score, 5.0f);
  EXPECT_EQ(rateConnection(publishing(20)).quality, ConnectionQuality::Excellent);  // 2%: 4.6
  EXPECT_NEAR(rateConnection(publishing(20)).score, 4.6, 1e-6);
  EXPECT_EQ(rateConnection(publishing(30)).quality, ConnectionQuality::Good);   // 3%: 4.4
  EXPECT_EQ(rateConnection(publishing(70)).quality, ConnectionQuality::Good);   // 7%: 3.6
  EXPECT_EQ(rateConnection(publishing(100)).quality, ConnectionQuality::Poor);  // 10%: 3.0
  EXPECT_FLOAT_EQ(rateConnection(publishing(1000)).score, 1.0f);                // floor
}

TEST(ConnectionQualityTest, SubscriberReportsCountAndTheWorstWins) {
  QualityInputs in;
  in.addPublishedStream(1000, 1000, 1.0);
  in.addReceiverReport(0, 1.0, 2.0);
  EXPECT_EQ(rateConnection(in).quality, ConnectionQuality::Excellent);
  in.addReceiverReport(26, 1.0, 2.0);  // ~10% on one subscribed stream
  EXPECT_NEAR(in.lossPercent(), 100.0 * 26 / 256, 1e-9);
  EXPECT_EQ(rateConnection(in).quality, ConnectionQuality::Poor);
}

TEST(ConnectionQualityTest, PublishedStreamsArePooled) {
  QualityInputs in;
  in.addPublishedStream(100, 90, 0);   // 10% on a thin stream
  in.addPublishedStream(900, 900, 0);  // none on a busy one
  EXPECT_NEAR(in.lossPercent(), 1.0, 1e-9);
  EXPECT_EQ(rateConnection(in).quality, ConnectionQuality::Excellent);
  in.addPublishedStream(10, 20, 0);  // late packets never count as negative loss
  EXPECT_NEAR(in.lossPercent(), 100.0 * 10 / 1010, 1e-9);
}

TEST(ConnectionQualityTest, DelayFromRoundTripAndJitter) {
  QualityInputs in;
  in.addReceiverReport(0, 10.0, 60.0);  // 30 + 20 = 50 ms: no penalty
  EXPECT_DOUBLE_EQ(in.delayMillis(), 50.0);
  EXPECT_EQ(rateConnection(in).quality, ConnectionQuality::Excellent);
  in.addReceiverReport(0, 40.0, 300.0);  // 150 + 80 = 230 ms: 5 - 1.3
  EXPECT_DOUBLE_EQ(in.delayMillis(), 230.0);
  EXPECT_NEAR(rateConnection(in).score, 3.7, 1e-6);
  EXPECT_EQ(rateConnection(in).quality, ConnectionQuality::Good);
  in.addReceiverReport(0, 100.0, 600.0);  // 300 + 200 = 500 ms
  EXPECT_EQ(rateConnection(in).quality, ConnectionQuality::Poor);
}

TEST(ConnectionQualityTest, UnknownRoundTripCountsAsNone) {
  QualityInputs in;
  in.addReceiverReport(0, 5.0, std::nullopt);
  EXPECT_DOUBLE_EQ(in.delayMillis(), 10.0);
  EXPECT_EQ(rateConnection(in).quality, ConnectionQuality::Excellent);
}

TEST(ConnectionQualityTest, SilentAudioIsLost) {
  auto in = publishing(0);
  in.addSilentAudio();
  const auto rating = rateConnection(in);
  EXPECT_EQ(rating.quality, ConnectionQuality::Lost);
  EXPECT_FLOAT_EQ(rating.score, 1.0f);
}

TEST(ConnectionQualityTest, LiveKitNumbering) {
  EXPECT_EQ(static_cast<int>(ConnectionQuality::Poor), 0);
  EXPECT_EQ(static_cast<int>(ConnectionQuality::Good), 1);
  EXPECT_EQ(static_cast<int>(ConnectionQuality::Excellent), 2);
  EXPECT_EQ(static_cast<int>(ConnectionQuality::Lost), 3);
}

TEST(IntervalCounterTest, DifferencesOfRunningTotals) {
  IntervalCounter counter;
  auto i = counter.advance(100, 95);
  EXPECT_EQ(i.expected, 100u);
  EXPECT_EQ(i.received, 95u);
  i = counter.advance(150, 140);
  EXPECT_EQ(i.expected, 50u);
  EXPECT_EQ(i.received, 45u);
  i = counter.advance(150, 140);
  EXPECT_EQ(i.expected, 0u);
  EXPECT_EQ(i.received, 0u);
  // Totals that shrink: a new stream; its totals are the interval.
  i = counter.advance(10, 9);
  EXPECT_EQ(i.expected, 10u);
  EXPECT_EQ(i.received, 9u);
}

}  // namespace

// Active-speaker detection on synthetic RFC 6464 level streams: 20 ms packets,
// polled every 400 ms as the room does.
#include "forwarding/active_speakers.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using convox::sfu::ActiveSpeakerConfig;
using convox::sfu::ActiveSpeakerDetector;
using convox::sfu::audioLevelToLinear;
using convox::sfu::SpeakerLevel;

constexpr int64_t kPollMicros = 400'000;
constexpr int kPacketsPerPoll = 20;

struct Poll {
  std::vector<SpeakerLevel> speakers;
  std::vector<SpeakerLevel> changes;
};

class ActiveSpeakersTest : public ::testing::Test {
 protected:
  // One interval in which each key sends 20 packets at its level (or none: -1).
  Poll interval(const std::vector<int>& levels, int activePackets = kPacketsPerPoll) {
    for (int packet = 0; packet < kPacketsPerPoll; ++packet) {
      for (size_t key = 0; key < levels.size(); ++key) {
        if (levels[key] < 0) continue;
        const int level = packet < activePackets ? levels[key] : 127;
        detector_.observe(static_cast<uint32_t>(key), static_cast<uint8_t>(level), true);
      }
    }
    now_ += kPollMicros;
    return poll();
  }

  Poll poll(size_t speakerRoom = 8, size_t changeRoom = 8) {
    std::array<SpeakerLevel, 8> speakers{};
    std::array<SpeakerLevel, 8> changes{};
    const auto result =
        detector_.poll(now_, std::span(speakers).first(speakerRoom), std::span(changes).first(changeRoom));
    EXPECT_EQ(result.changed(), result.changeCount > 0);
    return {{speakers.begin(), speakers.begin() + static_cast<std::ptrdiff_t>(result.speakerCount)},
            {changes.begin(), changes.begin() + static_cast<std::ptrdiff_t>(result.changeCount)}};
  }

  ActiveSpeakerDetector detector_{4};
  int64_t now_ = 0;
};

TEST(AudioLevelTest, DbovToLinear) {
  EXPECT_FLOAT_EQ(audioLevelToLinear(0), 1.0f);
  EXPECT_NEAR(audioLevelToLinear(20), 0.1f, 1e-6);
  EXPECT_NEAR(audioLevelToLinear(40), 0.01f, 1e-7);
  EXPECT_LT(audioLevelToLinear(127), 1e-6f);
  EXPECT_EQ(audioLevelToLinear(200), audioLevelToLinear(127));
}

TEST_F(ActiveSpeakersTest, SilenceReportsNobody) {
  const Poll quiet = interval({127, 90, -1, -1});
  EXPECT_TRUE(quiet.speakers.empty());
  EXPECT_TRUE(quiet.changes.empty());
}

TEST_F(ActiveSpeakersTest, SpeakerStartsAtItsLevelAndStaysWithoutRepeats) {
  const Poll first = interval({127, 20, -1, -1});
  ASSERT_EQ(first.speakers.size(), 1u);
  EXPECT_EQ(first.speakers[0].key, 1u);
  EXPECT_NEAR(first.speakers[0].level, 0.1f, 1e-6);
  EXPECT_TRUE(first.speakers[0].active);
  ASSERT_EQ(first.changes.size(), 1u);
  EXPECT_EQ(first.changes[0].key, 1u);
  EXPECT_TRUE(first.changes[0].active);

  const Poll steady = interval({127, 20, -1, -1});
  EXPECT_EQ(steady.speakers.size(), 1u);
  EXPECT_TRUE(steady.changes.empty());  // same level: nothing to send
}

TEST_F(ActiveSpeakersTest, SpeakersAreSortedLoudestFirst) {
  const Poll both = interval({30, 10, 127, 25});
  ASSERT_EQ(both.speakers.size(), 3u);
  EXPECT_EQ(both.speakers[0].key, 1u);
  EXPECT_EQ(both.speakers[1].key, 3u);
  EXPECT_EQ(both.speakers[2].key, 0u);
  EXPECT_GT(both.speakers[0].level, both.speakers[1].level);
  EXPECT_GT(both.speakers[1].level, both.speakers[2].level);
  ASSERT_EQ(both.changes.size(), 3u);
  EXPECT_EQ(both.changes[0].key, 1u);
}

TEST_F(ActiveSpeakersTest, StoppingIsReportedWithLevelZeroAfterAShortHangover) {
  ASSERT_EQ(interval({20, -1, -1, -1}).changes.size(), 1u);
  // The first quiet interval is a pause, not the end: still speaking, at a
  // decayed level.
  const Poll pause = interval({127, -1, -1, -1});
  ASSERT_EQ(pause.speakers.size(), 1u);
  EXPECT_LT(pause.speakers[0].level, 0.1f);
  int pollsUntilStopped = 1;
  Poll p;
  do {
    p = interval({127, -1, -1, -1});
    ++pollsUntilStopped;
  } while ((p.changes.empty() || p.changes[0].active) && pollsUntilStopped < 10);
  EXPECT_LE(pollsUntilStopped, 4);
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_EQ(p.changes[0].key, 0u);
  EXPECT_FALSE(p.changes[0].active);
  EXPECT_EQ(p.changes[0].level, 0.0f);
  EXPECT_TRUE(p.speakers.empty());
  EXPECT_TRUE(interval({127, -1, -1, -1}).changes.empty());
}

TEST_F(ActiveSpeakersTest, LevelChangesAreReportedOnlyWhenLargeEnough) {
  ASSERT_EQ(interval({20, -1, -1, -1}).changes.size(), 1u);  // 0.1
  EXPECT_TRUE(interval({21, -1, -1, -1}).changes.empty());   // 0.089: release, small move
  const Poll louder = interval({6, -1, -1, -1});             // 0.5
  ASSERT_EQ(louder.changes.size(), 1u);
  EXPECT_FLOAT_EQ(louder.changes[0].level, audioLevelToLinear(6));
}

TEST_F(ActiveSpeakersTest, BackgroundNoiseAndSparseClicksAreNotSpeech) {
  EXPECT_TRUE(interval({50, -1, -1, -1}).speakers.empty());  // quieter than 35 dBov
  // 5 loud packets out of 20: under the 40 % needed.
  EXPECT_TRUE(interval({10, -1, -1, -1}, 5).speakers.empty());
  // 10 of 20: speech.
  EXPECT_EQ(interval({10, -1, -1, -1}, 10).speakers.size(), 1u);
}

TEST_F(ActiveSpeakersTest, DtxSilenceWithFewPacketsIsNotSpeech) {
  // DTX: 3 packets in 400 ms, all loud (a cough). The interval expects 20.
  for (int i = 0; i < 3; ++i) detector_.observe(0, 5, true);
  now_ += kPollMicros;
  EXPECT_TRUE(poll().speakers.empty());
}

TEST_F(ActiveSpeakersTest, RemovedSpeakerIsReportedStopped) {
  ASSERT_EQ(interval({20, 20, -1, -1}).speakers.size(), 2u);
  detector_.remove(1);
  const Poll p = interval({20, -1, -1, -1});
  ASSERT_EQ(p.speakers.size(), 1u);
  EXPECT_EQ(p.speakers[0].key, 0u);
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_EQ(p.changes[0].key, 1u);
  EXPECT_FALSE(p.changes[0].active);
  EXPECT_TRUE(interval({20, -1, -1, -1}).changes.empty());
}

TEST_F(ActiveSpeakersTest, SmallOutputKeepsTheLoudestAndDefersChanges) {
  for (int packet = 0; packet < kPacketsPerPoll; ++packet) {
    for (uint32_t key = 0; key < 4; ++key) detector_.observe(key, static_cast<uint8_t>(30 - key * 5), true);
  }
  now_ += kPollMicros;
  const Poll p = poll(2, 3);
  ASSERT_EQ(p.speakers.size(), 2u);
  EXPECT_EQ(p.speakers[0].key, 3u);
  EXPECT_EQ(p.speakers[1].key, 2u);
  EXPECT_EQ(p.changes.size(), 3u);
  // The fourth start did not fit: it comes with the next poll.
  for (int packet = 0; packet < kPacketsPerPoll; ++packet) {
    for (uint32_t key = 0; key < 4; ++key) detector_.observe(key, static_cast<uint8_t>(30 - key * 5), true);
  }
  now_ += kPollMicros;
  const Poll next = poll();
  ASSERT_EQ(next.changes.size(), 1u);
  EXPECT_EQ(next.changes[0].key, 3u);
  EXPECT_EQ(next.speakers.size(), 4u);
}

TEST_F(ActiveSpeakersTest, UnknownKeysAreIgnored) {
  detector_.observe(4, 0, true);
  detector_.observe(1000, 0, true);
  detector_.remove(77);
  now_ += kPollMicros;
  EXPECT_TRUE(poll().speakers.empty());
}

TEST(ActiveSpeakersConfigTest, VoiceActivityBitCanBeRequired) {
  ActiveSpeakerConfig config;
  config.requireVoiceActivity = true;
  ActiveSpeakerDetector detector(1, config);
  std::array<SpeakerLevel, 1> speakers{};
  std::array<SpeakerLevel, 1> changes{};
  for (int i = 0; i < kPacketsPerPoll; ++i) detector.observe(0, 10, false);
  EXPECT_EQ(detector.poll(kPollMicros, speakers, changes).speakerCount, 0u);
  for (int i = 0; i < kPacketsPerPoll; ++i) detector.observe(0, 10, true);
  EXPECT_EQ(detector.poll(2 * kPollMicros, speakers, changes).speakerCount, 1u);
}

}  // namespace

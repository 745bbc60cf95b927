#include "voice/audio_out_queue.hpp"

#include <gtest/gtest.h>

#include "alloc_counter.hpp"
#include "test_audio.hpp"

namespace convox::voice {
namespace {

struct Ended {
  uint64_t id;
  int64_t playedMs;
  bool interrupted;
  size_t atPull;
  bool operator==(const Ended&) const = default;
};

struct Recorder : AudioOutListener {
  std::vector<Ended> ended;
  size_t pulls = 0;
  void onPlayoutEnded(uint64_t id, int64_t playedMs, bool interrupted) override {
    ended.push_back({id, playedMs, interrupted, pulls});
  }
};

struct Fixture {
  Recorder rec;
  std::unique_ptr<AudioOutQueue> q;
  std::array<uint8_t, rtc::kOpusMaxPacketBytes> packet{};
  std::vector<int16_t> sentPcm;  // the frames handed to the encoder
  explicit Fixture(AudioOutSettings s = {}) {
    std::string error;
    q = AudioOutQueue::create(s, rec, error);
    EXPECT_TRUE(q) << error;
  }
  AudioOutFrame tick() {
    ++rec.pulls;
    int bytes = 0;
    const auto r = q->pull(packet, bytes);
    if (r == AudioOutFrame::Sent) {
      EXPECT_GT(bytes, 2);
      sentPcm.insert(sentPcm.end(), q->lastFrame().begin(), q->lastFrame().end());
    }
    return r;
  }
  size_t ticksUntilIdle(size_t max = 10000) {
    size_t sent = 0;
    while (sent < max && tick() == AudioOutFrame::Sent) ++sent;
    return sent;
  }
};

TEST(AudioOutQueue, SendsAnUtteranceAsTwentyMsOpusFramesAndReportsItsEnd) {
  Fixture f;
  const auto tone = test::sine(48000, 440.0, 1.0);
  EXPECT_EQ(f.q->push(1, tone), tone.size());
  f.q->endUtterance(1);
  EXPECT_EQ(f.q->queuedMs(), 1000);
  EXPECT_EQ(f.ticksUntilIdle(), 50u);
  EXPECT_EQ(f.sentPcm, tone);
  ASSERT_EQ(f.rec.ended.size(), 1u);
  EXPECT_EQ(f.rec.ended[0], (Ended{1, 1000, false, 50}));  // reported on the tick that sent the last frame
  EXPECT_EQ(f.tick(), AudioOutFrame::Idle);
}

TEST(AudioOutQueue, PadsAnUtteranceToWholeFramesAndWaitsForTtsMidUtterance) {
  Fixture f;
  const auto tone = test::sine(48000, 440.0, 0.05);  // 2.5 frames
  f.q->push(1, tone);
  EXPECT_EQ(f.tick(), AudioOutFrame::Sent);
  EXPECT_EQ(f.tick(), AudioOutFrame::Sent);
  EXPECT_EQ(f.tick(), AudioOutFrame::Starved);  // half a frame, more may come
  f.q->endUtterance(1);
  EXPECT_EQ(f.tick(), AudioOutFrame::Sent);
  EXPECT_EQ(f.rec.ended.size(), 1u);
  EXPECT_EQ(f.sentPcm.size(), 3u * 960u);
  EXPECT_TRUE(std::all_of(f.sentPcm.begin() + 2400, f.sentPcm.end(), [](int16_t s) { return s == 0; }));
}

TEST(AudioOutQueue, PauseHoldsAndResumeContinuesFromTheSameSample) {
  Fixture f;
  const auto tone = test::sine(48000, 440.0, 0.6);
  f.q->push(1, tone);
  f.q->endUtterance(1);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(f.tick(), AudioOutFrame::Sent);
  f.q->pause();
  const auto queued = f.q->queuedMs();
  for (int i = 0; i < 25; ++i) EXPECT_EQ(f.tick(), AudioOutFrame::Paused);
  EXPECT_EQ(f.q->queuedMs(), queued);
  f.q->resume();
  EXPECT_EQ(f.ticksUntilIdle(), 20u);
  EXPECT_EQ(f.sentPcm, tone);  // nothing lost, nothing repeated
  ASSERT_EQ(f.rec.ended.size(), 1u);
  EXPECT_FALSE(f.rec.ended[0].interrupted);
}

TEST(AudioOutQueue, FlushCutsEveryQueuedUtterance) {
  Fixture f;
  const auto tone = test::sine(48000, 440.0, 0.4);
  f.q->push(1, tone);
  f.q->endUtterance(1);
  f.q->push(2, tone);  // the next sentence, already synthesised
  for (int i = 0; i < 5; ++i) f.tick();
  f.q->flush();
  EXPECT_EQ(f.q->queuedMs(), 0);
  EXPECT_EQ(f.rec.ended, (std::vector<Ended>{{1, 100, true, 5}, {2, 0, true, 5}}));
  EXPECT_EQ(f.tick(), AudioOutFrame::Idle);
  // The reply to the interruption plays at once.
  f.q->push(3, tone);
  f.q->endUtterance(3);
  EXPECT_EQ(f.ticksUntilIdle(), 20u);
  EXPECT_EQ(f.rec.ended.back(), (Ended{3, 400, false, 26}));
}

TEST(AudioOutQueue, UtterancesPlayInOrderEachReportingItsEnd) {
  Fixture f;
  for (uint64_t id = 1; id <= 3; ++id) {
    f.q->push(id, test::sine(48000, 440.0, 0.1 * static_cast<double>(id)));
    f.q->endUtterance(id);
  }
  EXPECT_EQ(f.ticksUntilIdle(), 30u);
  EXPECT_EQ(f.rec.ended, (std::vector<Ended>{{1, 100, false, 5}, {2, 200, false, 15}, {3, 300, false, 30}}));
}

TEST(AudioOutQueue, RefusesAudioBeyondItsCapacity) {
  Fixture f(AudioOutSettings{.capacityMs = 100});
  const auto tone = test::sine(48000, 440.0, 0.5);
  const size_t accepted = f.q->push(1, tone);
  EXPECT_EQ(accepted, 4800u);  // 100 ms
  EXPECT_EQ(f.q->droppedSamples(), tone.size() - accepted);
  f.q->endUtterance(1);
  EXPECT_EQ(f.ticksUntilIdle(), 5u);
}

TEST(AudioOutQueue, SteadyStateAllocatesNothingPerFrame) {
  Fixture f;
  const auto tone = test::sine(48000, 440.0, 0.02);
  f.q->push(1, tone);
  f.tick();
  test::AllocationScope scope;
  for (int i = 0; i < 500; ++i) {
    f.q->push(1, tone);
    int bytes = 0;
    ASSERT_EQ(f.q->pull(f.packet, bytes), AudioOutFrame::Sent);
    if (i % 100 == 0) {
      f.q->pause();
      f.q->resume();
    }
  }
  EXPECT_EQ(scope.count(), 0u);
}

TEST(AudioOutQueue, RefusesBadSettings) {
  Recorder rec;
  std::string error;
  EXPECT_FALSE(AudioOutQueue::create({.capacityMs = 5}, rec, error));
  EXPECT_NE(error.find("capacityMs"), std::string::npos);
}

}  // namespace
}  // namespace convox::voice

namespace convox::voice {
namespace {

TEST(AllocationCounter, SeesAllocations) {
  // The allocation-free assertions above mean something only if it counts.
  test::AllocationScope scope;
  auto* p = new int(1);
  asm volatile("" : : "g"(p) : "memory");  // keep the allocation
  delete p;
  EXPECT_EQ(scope.count(), 1u);
}

}  // namespace
}  // namespace convox::voice

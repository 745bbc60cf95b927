#include <gtest/gtest.h>

#include "voice/barge_in.hpp"

namespace convox::voice {
namespace {

using A = BargeInAction;

// Feeds 20 ms blocks from `fromMs` to `toMs`, voiced or not, as the VAD
// would report them; returns the actions in order (None left out).
struct Driver {
  BargeIn& b;
  int64_t lastVoiced = 0;
  std::vector<A> run(int64_t fromMs, int64_t toMs, bool voiced) {
    std::vector<A> out;
    for (int64_t t = fromMs + 20; t <= toMs; t += 20) {
      if (voiced) lastVoiced = t;
      if (const A a = b.onAudio(t, lastVoiced); a != A::None) out.push_back(a);
    }
    return out;
  }
};

TEST(BargeIn, SpeechOverTheAgentPausesAtOnceAndInterruptsAtTheMinimumDuration) {
  BargeIn b({});
  Driver d{b};
  d.run(0, 1000, false);
  // The VAD reports the start 100 ms after the first voiced frame at 1000.
  d.lastVoiced = 1100;
  EXPECT_EQ(b.onSpeechStart(1000, true), A::Pause);
  EXPECT_TRUE(b.paused());
  EXPECT_EQ(d.run(1100, 1480, true), std::vector<A>{});
  EXPECT_EQ(d.run(1480, 1500, true), std::vector<A>{A::Interrupt});
  EXPECT_FALSE(b.paused());
  EXPECT_EQ(b.onSpeechEnd(2100), A::None);
  EXPECT_FALSE(b.discardSpeech());  // the speech is the user's turn
}

TEST(BargeIn, AShortBurstResumesAfterTheResumeSilenceNotAtTheVadsSpeechEnd) {
  BargeIn b({});
  Driver d{b};
  d.lastVoiced = 1100;
  ASSERT_EQ(b.onSpeechStart(1000, true), A::Pause);
  d.run(1100, 1220, true);  // a 150 ms click plus the VAD's hold
  // Still voiced in the VAD's eyes for 550 ms: the old logic counted that
  // time as speech and flushed the agent at 500 ms.
  EXPECT_EQ(d.run(1220, 1460, false), std::vector<A>{});
  EXPECT_EQ(d.run(1460, 1480, false), std::vector<A>{A::Resume});
  EXPECT_EQ(d.run(1480, 1800, false), std::vector<A>{});
  EXPECT_EQ(b.onSpeechEnd(1780), A::None);  // already playing
  EXPECT_TRUE(b.discardSpeech());
  EXPECT_FALSE(b.deciding());
}

TEST(BargeIn, VoiceThatComesBackAfterAResumePausesAgainAndCanStillInterrupt) {
  BargeIn b({});
  Driver d{b};
  d.lastVoiced = 1100;
  ASSERT_EQ(b.onSpeechStart(1000, true), A::Pause);
  d.run(1100, 1200, true);
  EXPECT_EQ(d.run(1200, 1460, false), std::vector<A>{A::Resume});
  EXPECT_EQ(d.run(1460, 1480, true), std::vector<A>{A::Pause});
  EXPECT_EQ(d.run(1480, 1600, true), std::vector<A>{A::Interrupt});  // 1000..1500 voiced span
}

TEST(BargeIn, SpeechWhileTheAgentIsSilentIsAnOrdinaryTurn) {
  BargeIn b({});
  Driver d{b};
  EXPECT_EQ(b.onSpeechStart(1000, false), A::None);
  d.lastVoiced = 1100;
  EXPECT_EQ(d.run(1100, 3000, true), std::vector<A>{});
  EXPECT_EQ(b.onSpeechEnd(3550), A::None);
  EXPECT_FALSE(b.discardSpeech());
}

TEST(BargeIn, DisabledInterruptionsNeverPauseOrFlush) {
  BargeInSettings s;
  s.enabled = false;
  BargeIn b(s);
  Driver d{b};
  EXPECT_EQ(b.onSpeechStart(1000, true), A::None);
  d.lastVoiced = 1100;
  EXPECT_EQ(d.run(1100, 3000, true), std::vector<A>{});
}

TEST(BargeIn, WithoutFalseInterruptionResumeTheAudioPlaysUntilTheSpeechQualifies) {
  BargeInSettings s;
  s.pauseAtOnset = false;
  s.minDurationMs = 300;
  BargeIn b(s);
  Driver d{b};
  EXPECT_EQ(b.onSpeechStart(1000, true), A::None);
  d.lastVoiced = 1100;
  EXPECT_EQ(d.run(1100, 1300, true), std::vector<A>{A::Interrupt});
}

TEST(BargeIn, MinWordsWaitsPausedForTheTranscript) {
  BargeInSettings s;
  s.minWords = 2;
  BargeIn b(s);
  Driver d{b};
  d.lastVoiced = 1100;
  ASSERT_EQ(b.onSpeechStart(1000, true), A::Pause);
  EXPECT_EQ(d.run(1100, 1800, true), std::vector<A>{});  // long enough, but no words yet
  EXPECT_TRUE(b.waitingForWords());
  EXPECT_TRUE(b.paused());
  EXPECT_EQ(b.onSpeechEnd(2350), A::None);
  EXPECT_EQ(b.onTranscript("wait stop"), A::Interrupt);
  EXPECT_FALSE(b.discardSpeech());
}

TEST(BargeIn, AnInterimWithEnoughWordsInterruptsBeforeTheSpeechEnds) {
  BargeInSettings s;
  s.minWords = 2;
  BargeIn b(s);
  Driver d{b};
  d.lastVoiced = 1100;
  ASSERT_EQ(b.onSpeechStart(1000, true), A::Pause);
  d.run(1100, 1800, true);
  ASSERT_TRUE(b.waitingForWords());
  EXPECT_EQ(b.onInterimTranscript("wait"), A::None);  // one word: the final decides
  EXPECT_TRUE(b.waitingForWords());
  EXPECT_EQ(b.onInterimTranscript("wait stop"), A::Interrupt);
  EXPECT_FALSE(b.waitingForWords());
  EXPECT_FALSE(b.discardSpeech());
  EXPECT_EQ(b.onInterimTranscript("wait stop now"), A::None);  // decided already
}

TEST(BargeIn, MinWordsResumesOnAShortTranscript) {
  BargeInSettings s;
  s.minWords = 2;
  BargeIn b(s);
  Driver d{b};
  d.lastVoiced = 1100;
  ASSERT_EQ(b.onSpeechStart(1000, true), A::Pause);
  d.run(1100, 1800, true);
  b.onSpeechEnd(2350);
  EXPECT_EQ(b.onTranscript("  mhm "), A::Resume);
  EXPECT_TRUE(b.discardSpeech());
}

TEST(BargeIn, MinWordsResumesWhenNoTranscriptComesWithinTheTimeout) {
  BargeInSettings s;
  s.minWords = 1;
  s.falseInterruptionTimeoutMs = 1000;
  BargeIn b(s);
  Driver d{b};
  d.lastVoiced = 1100;
  ASSERT_EQ(b.onSpeechStart(1000, true), A::Pause);
  d.run(1100, 1800, true);
  b.onSpeechEnd(2340);
  EXPECT_EQ(d.run(2340, 3320, false), std::vector<A>{});
  EXPECT_EQ(d.run(3320, 3340, false), std::vector<A>{A::Resume});
  EXPECT_TRUE(b.discardSpeech());
  EXPECT_FALSE(b.waitingForWords());
  EXPECT_EQ(b.onTranscript("too late"), A::None);
}

TEST(BargeIn, CountsWords) {
  EXPECT_EQ(BargeIn::countWords(""), 0);
  EXPECT_EQ(BargeIn::countWords("  "), 0);
  EXPECT_EQ(BargeIn::countWords("stop"), 1);
  EXPECT_EQ(BargeIn::countWords(" wait,  stop\tstop "), 3);
}

}  // namespace
}  // namespace convox::voice

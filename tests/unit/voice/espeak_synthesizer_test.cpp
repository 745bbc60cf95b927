#include "voice/espeak_synthesizer.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "test_audio.hpp"

namespace convox::voice {
namespace {

struct Collected {
  std::vector<int16_t> pcm;
  size_t chunks = 0;
  TextToSpeech::AudioSink sink() {
    return [this](std::span<const int16_t> c) {
      pcm.insert(pcm.end(), c.begin(), c.end());
      ++chunks;
    };
  }
};

// Speech in 20 ms windows with any energy, in seconds.
double voicedSeconds(const std::vector<int16_t>& pcm, int rate) {
  const size_t w = static_cast<size_t>(rate) / 50;
  int voiced = 0;
  for (size_t at = 0; at + w <= pcm.size(); at += w)
    if (test::rms(std::span(pcm).subspan(at, w)) > 300) ++voiced;
  return voiced * 0.02;
}

TEST(EspeakSynthesizer, HelloIsShortAudibleSpeechAt48k) {
  std::string error;
  auto tts = EspeakSynthesizer::create({}, error);
  ASSERT_TRUE(tts) << error;
  EXPECT_EQ(tts->sampleRate(), 48000);
  Collected c;
  const auto stats = tts->synthesize("Hello", c.sink());
  const double seconds = static_cast<double>(c.pcm.size()) / 48000;
  EXPECT_GE(seconds, 0.3);
  EXPECT_LE(seconds, 2.0);
  EXPECT_GE(voicedSeconds(c.pcm, 48000), 0.2);
  EXPECT_GT(test::rms(c.pcm), 500.0);
  EXPECT_EQ(stats.characters, 5u);
  EXPECT_EQ(stats.audioSamples, static_cast<int64_t>(c.pcm.size()));
  EXPECT_GE(stats.firstAudioMs, 0);
  EXPECT_LE(stats.firstAudioMs, stats.totalMs);
  EXPECT_FALSE(stats.cancelled);
  std::printf("\"Hello\": %.2f s of audio in %zu chunks, first audio after %lld ms, %lld ms in all\n", seconds,
              c.chunks, static_cast<long long>(stats.firstAudioMs), static_cast<long long>(stats.totalMs));
}

TEST(EspeakSynthesizer, StreamsALongTextInManyChunks) {
  std::string error;
  auto tts = EspeakSynthesizer::create({}, error);
  ASSERT_TRUE(tts) << error;
  Collected c;
  const auto stats =
      tts->synthesize("I can book you in tomorrow at three. Is there anything else I can do for you?", c.sink());
  EXPECT_GT(c.chunks, 20u);
  // First audio comes well before the whole text is synthesised.
  EXPECT_LT(stats.firstAudioMs * 3, stats.totalMs + 3);
  EXPECT_GT(static_cast<double>(c.pcm.size()) / 48000, 3.0);
}

TEST(EspeakSynthesizer, ReportsWhereEachWordStarts) {
  std::string error;
  auto tts = EspeakSynthesizer::create({}, error);
  ASSERT_TRUE(tts) << error;
  Collected c;
  const std::string text = "Hello there. How are you today?";
  const auto stats = tts->synthesize(text, c.sink());
  ASSERT_EQ(stats.words.size(), 6u);
  const std::vector<size_t> offsets{0, 6, 13, 17, 21, 25};
  for (size_t i = 0; i < offsets.size(); ++i) {
    EXPECT_EQ(stats.words[i].textOffset, offsets[i]) << i;
    EXPECT_GE(stats.words[i].sample, 0) << i;
    EXPECT_LT(stats.words[i].sample, stats.audioSamples) << i;
    if (i > 0) {
      EXPECT_GT(stats.words[i].sample, stats.words[i - 1].sample) << i;
    }
  }
  // A word's start is audible: the 100 ms after it carry speech.
  const auto& last = stats.words.back();
  const auto after = std::span(c.pcm).subspan(static_cast<size_t>(last.sample), 4800);
  EXPECT_GT(test::rms(after), 300.0);
}

TEST(EspeakSynthesizer, CancelStopsEarly) {
  std::string error;
  auto tts = EspeakSynthesizer::create({}, error);
  ASSERT_TRUE(tts) << error;
  const std::string text =
      "This is a long answer that goes on and on, sentence after sentence, so that cancelling it early is easy to "
      "tell apart from letting it finish. It keeps going for many seconds of audio.";
  Collected full;
  tts->synthesize(text, full.sink());
  // Barge-in from another thread (the media thread) after the first audio:
  // the sink holds the synthesis until the cancel has been made, so the
  // test does not depend on how the two threads are scheduled.
  Collected cut;
  std::atomic<bool> first{false};
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    while (!first.load()) std::this_thread::yield();
    tts->cancel();
    cancelled.store(true);
  });
  const auto stats = tts->synthesize(text, [&](std::span<const int16_t> chunk) {
    cut.pcm.insert(cut.pcm.end(), chunk.begin(), chunk.end());
    first.store(true);
    while (!cancelled.load()) std::this_thread::yield();
  });
  canceller.join();
  EXPECT_TRUE(stats.cancelled);
  EXPECT_GT(cut.pcm.size(), 0u);
  EXPECT_LT(cut.pcm.size() * 4, full.pcm.size());
  // The next call is not cancelled by the old cancel.
  Collected again;
  EXPECT_FALSE(tts->synthesize("Hello", again.sink()).cancelled);
  EXPECT_FALSE(again.pcm.empty());
}

TEST(EspeakSynthesizer, RateAndVoiceAreThisSynthesizersOwn) {
  // Two synthesizers with different rates share espeak's one global engine;
  // each call sets its own, also when the calls come from two threads.
  std::string error;
  auto slow = EspeakSynthesizer::create({.rate = 120}, error);
  auto fast = EspeakSynthesizer::create({.rate = 300}, error);
  ASSERT_TRUE(slow && fast) << error;
  const std::string text = "What are your opening hours?";
  Collected s1, f1;
  slow->synthesize(text, s1.sink());
  fast->synthesize(text, f1.sink());
  EXPECT_GT(s1.pcm.size(), f1.pcm.size() * 3 / 2);
  Collected s2, f2;
  std::thread a([&] { slow->synthesize(text, s2.sink()); });
  std::thread b([&] { fast->synthesize(text, f2.sink()); });
  a.join();
  b.join();
  // espeak's output depends a little on the call before it (measured: the
  // same text at the same rate is up to 2.6% longer or shorter after a call
  // at another rate), so compare lengths within 5%; a rate leaking from the
  // other synthesizer would change them by more than half.
  EXPECT_NEAR(static_cast<double>(s2.pcm.size()), static_cast<double>(s1.pcm.size()), s1.pcm.size() * 0.05);
  EXPECT_NEAR(static_cast<double>(f2.pcm.size()), static_cast<double>(f1.pcm.size()), f1.pcm.size() * 0.05);
}

TEST(EspeakSynthesizer, RefusesBadSettings) {
  std::string error;
  EXPECT_FALSE(EspeakSynthesizer::create({.rate = 10}, error));
  EXPECT_NE(error.find("rate"), std::string::npos);
  EXPECT_FALSE(EspeakSynthesizer::create({.voice = "no-such-voice-xx"}, error));
  EXPECT_NE(error.find("voice"), std::string::npos);
}

}  // namespace
}  // namespace convox::voice

// The zero-cost "convox-test" providers the agent load tool benchmarks with:
// fixed transcript, fixed reply after reply() returns, a tone as long as the text.
#include "voice/test_providers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

namespace convox::voice {
namespace {

TEST(TestProviders, RecognizerReturnsItsTranscriptWithTheAudioHeard) {
  auto stt = makeTestRecognizer("book an appointment");
  std::vector<int16_t> pcm(8000);  // 0.5 s at 16 kHz
  EXPECT_TRUE(stt->push(pcm));
  const auto result = stt->finish();
  EXPECT_EQ(result.text, "book an appointment");
  EXPECT_EQ(result.audioMs, 500);
  // The next utterance starts from nothing.
  EXPECT_EQ(stt->finish().audioMs, 0);
}

TEST(TestProviders, ModelRepliesOnThePostedTurnAndNotAfterCancel) {
  std::vector<std::function<void()>> posted;
  auto model = makeTestLanguageModel("Sure.", [&](std::function<void()> task) { posted.push_back(std::move(task)); });
  std::string text;
  int done = 0;
  ReplyCallbacks callbacks;
  callbacks.onText = [&](std::string_view delta) { text += delta; };
  callbacks.onDone = [&](const ModelUsage&, const std::string& error) {
    EXPECT_TRUE(error.empty());
    ++done;
  };
  model->reply({{"user", "hi", {}}}, callbacks);
  EXPECT_TRUE(text.empty()) << "not inline";
  ASSERT_EQ(posted.size(), 1u);
  posted[0]();
  EXPECT_EQ(text, "Sure.");
  EXPECT_EQ(done, 1);
  model->reply({{"user", "hi", {}}}, callbacks);
  model->cancel();
  posted[1]();
  EXPECT_EQ(done, 1) << "a cancelled reply says nothing";
}

TEST(TestProviders, SynthesizerDeliversAToneAsLongAsTheText) {
  auto tts = makeTestSynthesizer();
  const std::string text(30, 'a');  // 30 characters at 15 per second: 2 s
  std::vector<int16_t> audio;
  int chunks = 0;
  const auto stats = tts->synthesize(text, [&](std::span<const int16_t> pcm) {
    audio.insert(audio.end(), pcm.begin(), pcm.end());
    ++chunks;
  });
  EXPECT_EQ(chunks, 1);
  EXPECT_EQ(audio.size(), static_cast<size_t>(2 * tts->sampleRate()));
  EXPECT_EQ(stats.audioSamples, static_cast<int64_t>(audio.size()));
  double energy = 0;
  for (const auto s : audio) energy += static_cast<double>(s) * s;
  EXPECT_GT(std::sqrt(energy / static_cast<double>(audio.size())), 1000.0) << "audible, not silence";
}

}  // namespace
}  // namespace convox::voice

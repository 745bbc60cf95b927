#include "voice/test_providers.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <numbers>
#include <vector>

namespace convox::voice {

namespace {

constexpr int kRate = 16000;

class TestRecognizer final : public SpeechToText {
 public:
  explicit TestRecognizer(std::string transcript) : transcript_(std::move(transcript)) {}
  int sampleRate() const override { return kRate; }
  bool push(std::span<const int16_t> pcm) override {
    samples_ += static_cast<int64_t>(pcm.size());
    return true;
  }
  SttResult finish() override {
    SttResult result;
    result.text = transcript_;
    result.confidence = 1.0;
    result.source = kTestProvider;
    result.audioMs = samples_ * 1000 / kRate;
    samples_ = 0;
    return result;
  }
  void cancel() override { samples_ = 0; }

 private:
  const std::string transcript_;
  int64_t samples_ = 0;
};

class TestLanguageModel final : public LanguageModel {
 public:
  TestLanguageModel(std::string reply, std::function<void(std::function<void()>)> post)
      : reply_(std::move(reply)), post_(std::move(post)) {}

  void reply(const std::vector<ChatMessage>&, ReplyCallbacks callbacks) override {
    // Posted, not called inline: the agent expects its callbacks after
    // reply() returns, as from a real provider.
    const uint64_t generation = ++generation_;
    post_([this, generation, callbacks = std::move(callbacks), alive = std::weak_ptr<bool>(alive_)] {
      if (alive.expired() || generation != generation_) return;
      if (callbacks.onText) callbacks.onText(reply_);
      ModelUsage usage;
      usage.provider = kTestProvider;
      usage.firstTokenMs = 0;
      if (callbacks.onDone) callbacks.onDone(usage, {});
    });
  }
  void cancel() override { ++generation_; }

 private:
  const std::string reply_;
  std::function<void(std::function<void()>)> post_;
  uint64_t generation_ = 0;  // a cancelled reply's posted callback is dropped
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class TestSynthesizer final : public TextToSpeech {
 public:
  int sampleRate() const override { return kRate; }
  TtsStats synthesize(std::string_view text, const AudioSink& sink) override {
    TtsStats stats;
    stats.characters = text.size();
    const size_t samples = std::max<size_t>(1, text.size()) * kRate / kTestCharsPerSecond;
    pcm_.resize(samples);
    for (size_t i = 0; i < samples; ++i) {
      pcm_[i] = static_cast<int16_t>(8000 * std::sin(2 * std::numbers::pi * 440 * static_cast<double>(i) / kRate));
    }
    sink(pcm_);
    stats.firstAudioMs = 0;
    stats.audioSamples = static_cast<int64_t>(samples);
    return stats;
  }
  void cancel() override {}

 private:
  std::vector<int16_t> pcm_;
};

}  // namespace

std::string testProviderText(const agent_config::ProviderChoice& choice, const char* key, std::string fallback) {
  if (const auto* value = choice.config.if_contains(key); value && value->is_string() && !value->as_string().empty()) {
    return std::string(value->as_string());
  }
  return fallback;
}

std::unique_ptr<SpeechToText> makeTestRecognizer(std::string transcript) {
  return std::make_unique<TestRecognizer>(std::move(transcript));
}

std::unique_ptr<LanguageModel> makeTestLanguageModel(std::string reply,
                                                     std::function<void(std::function<void()>)> post) {
  return std::make_unique<TestLanguageModel>(std::move(reply), std::move(post));
}

std::unique_ptr<TextToSpeech> makeTestSynthesizer() { return std::make_unique<TestSynthesizer>(); }

}  // namespace convox::voice

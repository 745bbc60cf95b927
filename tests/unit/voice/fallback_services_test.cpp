// The STT and TTS fallbacks over scripted services on a real io_context:
// the same utterance (its audio replayed) or sentence goes to the next
// provider on an error or a timeout; audio already delivered is never
// re-spoken elsewhere; failed providers come back after a background retry.
#include "voice/fallback_services.hpp"

#include "run_until.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace convox::voice {
namespace {

using namespace std::chrono_literals;

enum class Outcome { kOk, kError, kHang, kAudioThenError };

struct Log {
  std::deque<Outcome> outcomes{Outcome::kOk};  // the last one repeats
  size_t pushedSamples = 0;                    // of all requests
  std::vector<size_t> finishedWith;            // samples pushed when each finish() came
  int requests = 0;
  int answers = 0;  // successful results delivered
  int cancels = 0;
  std::vector<std::string> texts;
  Outcome next() {
    const Outcome o = outcomes.front();
    if (outcomes.size() > 1) outcomes.pop_front();
    return o;
  }
};

class ScriptedStt final : public SttService {
 public:
  ScriptedStt(boost::asio::io_context& io, std::string name, std::shared_ptr<Log> log)
      : io_(io), name_(std::move(name)), log_(std::move(log)) {}
  const std::string& provider() const override { return name_; }
  void push(std::span<const int16_t> pcm) override {
    log_->pushedSamples += pcm.size();
    open_ += pcm.size();
  }
  void finish(SttCallbacks cb) override {
    ++log_->requests;
    log_->finishedWith.push_back(std::exchange(open_, 0));
    const Outcome o = log_->next();
    const uint64_t id = generation_;
    boost::asio::post(io_, [this, o, id, cb = std::move(cb)] {
      if (id != generation_ || o == Outcome::kHang) return;
      SttResult r;
      r.text = name_ + " heard you";
      if (o == Outcome::kOk) ++log_->answers;
      cb.onFinal(r, o == Outcome::kOk ? "" : "HTTP 500");
    });
  }
  void cancel() override {
    ++log_->cancels;
    ++generation_;
    open_ = 0;
  }

 private:
  boost::asio::io_context& io_;
  std::string name_;
  std::shared_ptr<Log> log_;
  size_t open_ = 0;
  uint64_t generation_ = 0;
};

class ScriptedTts final : public TtsService {
 public:
  ScriptedTts(boost::asio::io_context& io, std::string name, std::shared_ptr<Log> log)
      : io_(io), name_(std::move(name)), log_(std::move(log)) {}
  const std::string& provider() const override { return name_; }
  void synthesize(const std::string& text, uint64_t, TtsCallbacks cb) override {
    ++log_->requests;
    log_->texts.push_back(text);
    const Outcome o = log_->next();
    const uint64_t id = generation_;
    boost::asio::post(io_, [this, o, id, cb = std::move(cb)] {
      if (id != generation_ || o == Outcome::kHang) return;
      const std::vector<int16_t> pcm(480, 7);
      if (o == Outcome::kOk || o == Outcome::kAudioThenError) cb.onAudio(pcm);
      cb.onDone({}, o == Outcome::kOk ? "" : "closed 1008");
    });
  }
  void cancel() override {
    ++log_->cancels;
    ++generation_;
  }

 private:
  boost::asio::io_context& io_;
  std::string name_;
  std::shared_ptr<Log> log_;
  uint64_t generation_ = 0;
};

class FallbackServicesTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  std::shared_ptr<Log> a_ = std::make_shared<Log>();
  std::shared_ptr<Log> b_ = std::make_shared<Log>();
  std::vector<ProviderSwitch> events_;

  ServiceFallbackSettings settings(std::chrono::milliseconds timeout = 200ms,
                                   std::chrono::milliseconds recovery = 10min) {
    ServiceFallbackSettings s;
    s.timeout = timeout;
    s.recoveryDelay = recovery;
    s.onEvent = [this](const ProviderSwitch& e) { events_.push_back(e); };
    return s;
  }
  std::unique_ptr<SttService> stt(ServiceFallbackSettings s) {
    std::vector<std::unique_ptr<SttService>> list;
    list.push_back(std::make_unique<ScriptedStt>(io_, "deepgram", a_));
    list.push_back(std::make_unique<ScriptedStt>(io_, "whisper", b_));
    return makeFallbackSttService(io_, std::move(list), std::move(s));
  }
  std::unique_ptr<TtsService> tts(ServiceFallbackSettings s) {
    std::vector<std::unique_ptr<TtsService>> list;
    list.push_back(std::make_unique<ScriptedTts>(io_, "elevenlabs", a_));
    list.push_back(std::make_unique<ScriptedTts>(io_, "espeak-ng", b_));
    return makeFallbackTtsService(io_, std::move(list), std::move(s));
  }
  void runUntil(const std::function<bool()>& done) { ASSERT_TRUE(testing::runUntil(io_, done)); }
  struct Heard {
    bool done = false;
    SttResult result;
    std::string error;
  };
  Heard utterance(SttService& s, size_t samples) {
    const std::vector<int16_t> pcm(samples, 1);
    s.push(std::span<const int16_t>(pcm).first(samples / 2));
    s.push(std::span<const int16_t>(pcm).subspan(samples / 2));
    Heard h;
    s.finish({{}, [&h](SttResult r, const std::string& e) {
                h.done = true;
                h.result = std::move(r);
                h.error = e;
              }});
    runUntil([&] { return h.done; });
    return h;
  }
};

TEST_F(FallbackServicesTest, AFailedUtteranceIsHeardByTheNextProviderFromItsStart) {
  a_->outcomes = {Outcome::kError};
  auto s = stt(settings());
  const auto h = utterance(*s, 3200);
  ASSERT_TRUE(h.done);
  EXPECT_EQ(h.error, "");
  EXPECT_EQ(h.result.text, "whisper heard you");
  EXPECT_EQ(h.result.provider, "whisper");
  EXPECT_EQ(b_->finishedWith, std::vector<size_t>{3200});  // all of it, replayed
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].provider, "deepgram");
  EXPECT_EQ(events_[0].event, "fallback");
  EXPECT_EQ(events_[0].to, "whisper");
  // The next utterance goes straight to the one still available.
  const int before = a_->requests;
  EXPECT_EQ(utterance(*s, 1600).result.provider, "whisper");
  EXPECT_EQ(a_->requests, before);
  EXPECT_EQ(s->provider(), "whisper");
}

TEST_F(FallbackServicesTest, NoTranscriptInTimeMovesTheUtteranceOnAndTheLateOneIsIgnored) {
  a_->outcomes = {Outcome::kHang};
  auto s = stt(settings(50ms));
  const auto h = utterance(*s, 800);
  EXPECT_EQ(h.result.provider, "whisper");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_NE(events_[0].reason.find("timeout: no transcript within 50 ms"), std::string::npos);
}

TEST_F(FallbackServicesTest, EveryProviderFailingEndsTheUtteranceWithTheReason) {
  a_->outcomes = {Outcome::kError};
  b_->outcomes = {Outcome::kError};
  auto s = stt(settings());
  const auto h = utterance(*s, 800);
  ASSERT_TRUE(h.done);
  EXPECT_EQ(h.error, "whisper: HTTP 500");
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].event, "error");
}

TEST_F(FallbackServicesTest, AFailedSttProviderComesBackAfterItsRetrySucceeds) {
  a_->outcomes = {Outcome::kError, Outcome::kOk};
  auto s = stt(settings(200ms, 30ms));
  EXPECT_EQ(utterance(*s, 800).result.provider, "whisper");
  // The retry replays the failed utterance to deepgram in the background.
  runUntil([&] { return a_->answers > 0; });
  EXPECT_EQ(a_->requests, 2);
  EXPECT_EQ(a_->finishedWith.back(), 800u);
  EXPECT_EQ(utterance(*s, 800).result.provider, "deepgram");
}

TEST_F(FallbackServicesTest, ACallerCancelDuringARetryArmsTheNextRetry) {
  a_->outcomes = {Outcome::kError, Outcome::kHang, Outcome::kOk};
  auto s = stt(settings(200ms, 30ms));
  EXPECT_EQ(utterance(*s, 800).result.provider, "whisper");
  runUntil([&] { return a_->requests == 2; });  // the retry is under way, and hangs
  s->cancel();                                  // barge-in cuts it
  // Nobody answers the cut retry; the next one is due and succeeds.
  runUntil([&] { return a_->answers > 0; });
  EXPECT_EQ(a_->requests, 3);
  EXPECT_EQ(utterance(*s, 800).result.provider, "deepgram");
}

TEST_F(FallbackServicesTest, ASentenceThatFailedBeforeItsAudioIsSpokenByTheNextProvider) {
  a_->outcomes = {Outcome::kError};
  auto s = tts(settings());
  size_t samples = 0;
  bool done = false;
  std::string error, provider;
  s->synthesize("Hello there.", 1,
                {[&](std::span<const int16_t> pcm) { samples += pcm.size(); },
                 [&](TtsStats st, const std::string& e) {
                   done = true;
                   error = e;
                   provider = st.provider;
                 }});
  runUntil([&] { return done; });
  EXPECT_EQ(error, "");
  EXPECT_EQ(provider, "espeak-ng");
  EXPECT_EQ(samples, 480u);
  EXPECT_EQ(b_->texts, std::vector<std::string>{"Hello there."});
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].to, "espeak-ng");
}

TEST_F(FallbackServicesTest, AnErrorAfterAudioBeganIsNotSpokenAgainElsewhere) {
  a_->outcomes = {Outcome::kAudioThenError};
  auto s = tts(settings());
  size_t samples = 0;
  bool done = false;
  std::string error;
  s->synthesize("Hello there.", 1,
                {[&](std::span<const int16_t> pcm) { samples += pcm.size(); },
                 [&](TtsStats, const std::string& e) {
                   done = true;
                   error = e;
                 }});
  runUntil([&] { return done; });
  EXPECT_EQ(error, "closed 1008");
  EXPECT_EQ(samples, 480u);
  EXPECT_EQ(b_->requests, 0);
  EXPECT_TRUE(events_.empty());
}

TEST_F(FallbackServicesTest, NoFirstAudioInTimeCancelsTheSentenceAndMovesOn) {
  a_->outcomes = {Outcome::kHang};
  auto s = tts(settings(50ms));
  bool done = false;
  std::string provider;
  s->synthesize("Hi.", 1,
                {[](std::span<const int16_t>) {},
                 [&](TtsStats st, const std::string&) {
                   done = true;
                   provider = st.provider;
                 }});
  runUntil([&] { return done; });
  EXPECT_EQ(provider, "espeak-ng");
  EXPECT_GE(a_->cancels, 1);
}

TEST_F(FallbackServicesTest, CancellingASentenceStopsItsCallbacks) {
  a_->outcomes = {Outcome::kOk};
  auto s = tts(settings());
  bool called = false;
  s->synthesize(
      "Hi.", 1,
      {[&](std::span<const int16_t>) { called = true; }, [&](TtsStats, const std::string&) { called = true; }});
  s->cancel();
  // Run until no work is left rather than for a fixed while: a 200 ms timeout
  // the cancel left running fires within this run however slow the machine
  // (and espeak-ng speaks). Work still pending at the 2 s cap fails stopped().
  io_.restart();
  io_.run_for(2s);
  EXPECT_TRUE(io_.stopped());  // ran out of work
  EXPECT_FALSE(called);
  EXPECT_GE(a_->cancels, 1);
  EXPECT_EQ(b_->requests, 0);
}

}  // namespace
}  // namespace convox::voice

// A voice agent's turns across interruptions (the review of issue 13):
// a reply heard to its end keeps its history entry when a later, silent
// reply is cut; typing while a barge-in holds the audio paused does not
// leave the call silent; a reply cut before its first frame does not take
// the previous reply's playout end; an interrupted goodbye does not hang up.
// Real stages (PocketSphinx, espeak-ng, the WebRTC VAD), a scripted model.

#include "voice_agent.hpp"

#include "voice_agent_hooks.hpp"

#include "rtc/event_loop.hpp"
#include "test_audio.hpp"  // tests/unit/voice: the media helpers
#include "voice/compute_pool.hpp"

#include <gtest/gtest.h>
#include <opus/opus.h>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <deque>
#include <optional>
#include <thread>

namespace convox::worker {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kDefaultReply = "Okay.";

// One scripted answer: its text, whether it ends the call, and whether the
// model then goes quiet without finishing (a reply still generating).
struct Answer {
  std::string text;
  bool endCall = false;
  bool hold = false;
};

class ScriptedModel final : public voice::LanguageModel {
 public:
  ScriptedModel(std::deque<Answer>& script, std::vector<std::vector<voice::ChatMessage>>& seen)
      : script_(script), seen_(seen) {}
  void reply(const std::vector<voice::ChatMessage>& history, voice::ReplyCallbacks callbacks) override {
    seen_.push_back(history);
    Answer a{kDefaultReply};
    if (!script_.empty()) {
      a = script_.front();
      script_.pop_front();
    }
    if (!a.text.empty()) callbacks.onText(a.text);
    if (a.endCall) callbacks.onAction({"end_call", {}});
    if (a.hold) {
      held_ = std::move(callbacks);
      return;
    }
    callbacks.onDone({}, "");
  }
  void cancel() override { held_.reset(); }

 private:
  std::deque<Answer>& script_;
  std::vector<std::vector<voice::ChatMessage>>& seen_;
  std::optional<voice::ReplyCallbacks> held_;
};

class VoiceAgentTurnsTest : public ::testing::Test {
 protected:
  void start(const std::function<void(agent_config::AgentSettings&)>& configure = {},
             std::unique_ptr<voice::SttService> stt = nullptr) {
    agent_config::AgentSettings settings;  // no first message
    if (configure) configure(settings);
    auto hooks = recordingHooks(turns_);
    hooks.endCall = [this](const std::string& reason) { ended_.push_back(reason); };
    hooks.outputReady = [this] { return outputReady_; };
    hooks.fail = [this](const std::string& error) { failed_.push_back(error); };
    agent_ = std::make_unique<VoiceAgent>(loop_, pool_, std::move(settings), std::map<std::string, std::string>{},
                                          false, std::move(hooks));
    std::string error;
    VoiceProviders providers;
    providers.model = std::make_unique<ScriptedModel>(script_, seen_);
    providers.stt = std::move(stt);
    ASSERT_TRUE(agent_->init(std::move(providers), error)) << error;
    agent_->start();
  }
  std::vector<std::string> failed_;

  void TearDown() override {
    release_ = true;  // a test that held the pool's thread lets it go
    agent_.reset();
  }

  std::vector<const json::object*> agentTurns() const {
    std::vector<const json::object*> out;
    for (const auto& t : turns_) {
      if (t.at("role") == "agent") out.push_back(&t);
    }
    return out;
  }

  std::string dump() const {
    std::string out;
    for (const auto& t : turns_) out += json::serialize(t) + "\n";
    return out;
  }

  bool waitForAgentTurns(size_t n) {
    return loop_.runUntil([&] { return agentTurns().size() >= n; }, 30s);
  }

  // Plays `wav` to the agent as the user's microphone, one Opus packet per
  // 20 ms, until `stop` says so or the file ends. True if `stop` did.
  bool speak(const std::string& wav, const std::function<bool()>& stop) {
    const auto pcm = voice::test::readWav(voice::test::mediaPath(wav));
    EXPECT_EQ(pcm.sampleRate, 48000);
    int err = 0;
    OpusEncoder* enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    EXPECT_EQ(err, OPUS_OK);
    std::vector<uint8_t> packet(1500);
    bool stopped = false;
    for (size_t at = 0; at + 960 <= pcm.samples.size(); at += 960) {
      const int n = opus_encode(enc, pcm.samples.data() + at, 960, packet.data(), static_cast<int>(packet.size()));
      EXPECT_GT(n, 0);
      agent_->onUserAudio(1234, seq_++, ts_, std::span<const uint8_t>(packet.data(), static_cast<size_t>(n)));
      ts_ += 960;
      loop_.runFor(20ms);
      if (stop()) {
        stopped = true;
        break;
      }
    }
    opus_encoder_destroy(enc);
    return stopped;
  }

  rtc::EventLoop loop_;
  voice::ComputePool pool_{1, 16};
  std::deque<Answer> script_;
  std::vector<json::object> turns_;
  std::vector<std::vector<voice::ChatMessage>> seen_;
  std::vector<std::string> ended_;
  bool outputReady_ = true;
  std::atomic<bool> release_{false};
  uint16_t seq_ = 1;
  uint32_t ts_ = 0;
  std::unique_ptr<VoiceAgent> agent_;
};

// Review item 1: the user types while the next reply is still being
// generated (nothing of it said yet); the reply before, heard to its end,
// must stay in the history as it was said.
TEST_F(VoiceAgentTurnsTest, CuttingASilentReplyKeepsThePreviousReplyInTheHistory) {
  script_ = {{"We are open from nine to five."}, {"", false, true}, {"Okay then."}};
  start();
  agent_->onUserText("what are your opening hours");
  ASSERT_TRUE(waitForAgentTurns(1));
  EXPECT_EQ(agentTurns()[0]->at("interrupted"), false);
  agent_->onUserText("and on sunday");  // the model goes quiet: replying, no text
  loop_.runFor(200ms);
  agent_->onUserText("never mind");  // interrupts that reply
  ASSERT_TRUE(waitForAgentTurns(2));
  ASSERT_EQ(seen_.size(), 3U);
  const auto& history = seen_[2];
  ASSERT_GE(history.size(), 2U);
  EXPECT_EQ(history[1].role, "assistant");
  EXPECT_EQ(history[1].content, "We are open from nine to five.");
  for (const auto& m : history) EXPECT_FALSE(m.role == "assistant" && m.content.empty()) << "a blanked reply";
}

// Review item 2: a barge-in pauses the queued reply before any frame of it
// went out; the user then types. The new reply must be heard.
TEST_F(VoiceAgentTurnsTest, TypingWhileABargeInHoldsTheAudioPausedDoesNotSilenceTheCall) {
  script_ = {{"We are open from nine to five on weekdays and from ten to two on Saturdays."}, {"Here is the answer."}};
  outputReady_ = false;  // the reply is synthesised and queued, not sent
  start();
  agent_->onUserText("what are your opening hours");
  loop_.runFor(3000ms);  // synthesis
  ASSERT_EQ(agent_->stats().framesOut, 0U);
  ASSERT_TRUE(speak("hello.wav", [this] { return agent_->stats().pauses > 0; })) << "the VAD never paused the agent";
  agent_->onUserText("tell me something else");
  outputReady_ = true;
  ASSERT_TRUE(loop_.runUntil([this] { return agent_->stats().framesOut > 0; }, 20s))
      << "the agent's audio stayed paused";
  // A reply after the typed text plays to its end (the rest of the speech
  // may be recognised as a turn of its own and answered instead).
  ASSERT_TRUE(loop_.runUntil(
      [this] {
        const auto turns = agentTurns();
        return turns.size() >= 2 && turns.back()->at("interrupted") == false &&
               !turns.back()->at("text").as_string().empty();
      },
      30s))
      << dump();
  EXPECT_EQ(agentTurns()[0]->at("interrupted"), true);  // the queued reply was cut, never heard
}

// Review item 3: a reply cut before its first frame stopped nothing of its
// own; its playout end is not the previous reply's last frame.
TEST_F(VoiceAgentTurnsTest, AReplyCutBeforeItsFirstFrameEndsAfterItStarted) {
  script_ = {{"We are open from nine to five."}, {"Let me check that for you. It takes a while.", false, true}};
  start();
  agent_->onUserText("what are your opening hours");
  ASSERT_TRUE(waitForAgentTurns(1));
  loop_.runFor(300ms);
  outputReady_ = false;  // the next reply is queued, never sent
  agent_->onUserText("and on sunday");
  loop_.runFor(3000ms);  // synthesis of its first sentence
  agent_->onUserText("never mind");
  ASSERT_TRUE(waitForAgentTurns(2));
  const auto& cut = *agentTurns()[1];
  EXPECT_EQ(cut.at("interrupted"), true);
  const int64_t started = cut.at("started_at").to_number<int64_t>();
  const int64_t ended = cut.at("timings").as_object().at("playout_end").to_number<int64_t>();
  const int64_t firstEnded = agentTurns()[0]->at("timings").as_object().at("playout_end").to_number<int64_t>();
  EXPECT_GE(ended, started) << "playout_end before started_at";
  EXPECT_GT(ended, firstEnded) << "the previous reply's playout end";
}

// Review item 5: the user interrupts the goodbye: the agent listens, the
// end is cancelled, and the next reply heard to its end does not hang up.
TEST_F(VoiceAgentTurnsTest, AnInterruptedGoodbyeDoesNotEndTheCall) {
  script_ = {{"Thank you for calling, goodbye and have a very nice day.", true}, {"Of course, go ahead."}};
  start();
  agent_->onUserText("that is all");
  ASSERT_TRUE(loop_.runUntil([this] { return agent_->stats().framesOut > 5; }, 30s));
  agent_->onUserText("wait, one more thing");
  ASSERT_TRUE(waitForAgentTurns(2));
  EXPECT_EQ(agentTurns()[0]->at("interrupted"), true);
  EXPECT_EQ(agentTurns()[1]->at("text"), "Of course, go ahead.");
  loop_.runFor(1000ms);
  EXPECT_TRUE(ended_.empty()) << "the call ended: " << ended_.front();
}

TEST_F(VoiceAgentTurnsTest, AGoodbyeHeardToItsEndEndsTheCall) {
  script_ = {{"Goodbye.", true}};
  start();
  agent_->onUserText("that is all");
  ASSERT_TRUE(waitForAgentTurns(1));
  ASSERT_TRUE(loop_.runUntil([this] { return !ended_.empty(); }, 5s));
  EXPECT_EQ(ended_.front(), "agent_ended");
}

// Review item 6: with min_interruption_words the transcript decides; when
// the recognizer is still busy at the speech end the final chunk goes out
// later, and if the false-interruption timeout resumed the agent meanwhile
// the speech is not a turn (it was not an interruption), so the agent's
// reply is not answered over.
TEST_F(VoiceAgentTurnsTest, SpeechTheTimeoutDiscardedIsNotATurnWhenItsFinalChunkIsLate) {
  script_ = {
      {"We are open from nine to five on weekdays. On Saturdays we open at ten and close at two. "
       "On Sundays and public holidays the clinic is closed, but you can leave a message."}};
  start([](agent_config::AgentSettings& s) {
    s.turns.minInterruptionWords = 5;
    s.turns.minInterruptionDurationMs = 200;
    s.turns.falseInterruptionTimeoutMs = 200;
  });
  agent_->onUserText("what are your opening hours");
  ASSERT_TRUE(loop_.runUntil([this] { return agent_->stats().framesOut > 10; }, 30s));
  // The pool's one thread is held: the recognizer's chunks wait, so the
  // final chunk is sent only after the timeout has decided.
  ASSERT_TRUE(pool_.post([this] {
    while (!release_) std::this_thread::sleep_for(5ms);
  }));
  speak("hello.wav", [] { return false; });
  loop_.runFor(1500ms);  // the speech end and the 200 ms timeout, on the stream clock
  ASSERT_GT(agent_->stats().pauses, 0U) << "the speech never paused the agent";
  ASSERT_GT(agent_->stats().falseInterruptions, 0U) << "the timeout did not resume the agent";
  release_ = true;
  loop_.runFor(3000ms);  // the recognizer catches up with the held chunks
  // Only the typed question is a user turn.
  const auto users =
      std::count_if(turns_.begin(), turns_.end(), [](const json::object& t) { return t.at("role") == "user"; });
  EXPECT_EQ(users, 1) << "the discarded speech became a turn: " << dump();
  EXPECT_EQ(seen_.size(), 1U) << "the model was asked to answer it";
}

// soft_timeout_seconds: a model that has not begun its answer by then gets
// a filler said for it; a prompt one does not.
TEST_F(VoiceAgentTurnsTest, ASlowModelGetsTheSoftTimeoutFillerAndAPromptOneDoesNot) {
  script_ = {{"We are open from nine to five."}, {"", false, true}};
  start([](agent_config::AgentSettings& s) { s.timeouts.softTimeoutMs = 300; });
  agent_->onUserText("what are your opening hours");
  ASSERT_TRUE(waitForAgentTurns(1));
  loop_.runFor(500ms);
  EXPECT_EQ(agent_->stats().softTimeouts, 0U) << "the first answer came at once";
  EXPECT_EQ(agentTurns()[0]->at("text"), "We are open from nine to five.");

  agent_->onUserText("and on sunday");  // the model goes quiet
  ASSERT_TRUE(loop_.runUntil([&] { return agent_->stats().softTimeouts == 1; }, 5s));
  // The filler is heard: frames go out although the model said nothing.
  const auto framesBefore = agent_->stats().framesOut;
  ASSERT_TRUE(loop_.runUntil([&] { return agent_->stats().framesOut > framesBefore + 10; }, 10s));
  agent_->onUserText("never mind");  // cuts it
  ASSERT_TRUE(waitForAgentTurns(2)) << dump();
  const std::string said(agentTurns()[1]->at("text").as_string());
  EXPECT_FALSE(said.empty()) << dump();
  EXPECT_TRUE(std::string("One moment, please.").starts_with(said)) << said;
  EXPECT_EQ(agent_->stats().softTimeouts, 1U);
}

// A recognizer that fails every utterance (a provider refusing the key).
class FailingStt final : public voice::SttService {
 public:
  explicit FailingStt(rtc::EventLoop& loop) : loop_(loop) {}
  const std::string& provider() const override { return name_; }
  void push(std::span<const int16_t>) override {}
  void finish(voice::SttCallbacks cb) override {
    ++finishes;
    loop_.post([cb = std::move(cb)] { cb.onFinal({}, "deepgram: cannot connect: HTTP 401: Invalid credentials."); });
  }
  void cancel() override {}
  int finishes = 0;

 private:
  rtc::EventLoop& loop_;
  std::string name_ = "deepgram";
};

// Review of issue 14: a recognizer that fails leaves no silent call: the
// caller is asked to repeat, and a recognizer that keeps failing ends the call.
TEST_F(VoiceAgentTurnsTest, ARecognizerThatKeepsFailingIsToldToTheCallerThenEndsTheCall) {
  auto stt = std::make_unique<FailingStt>(loop_);
  auto* failing = stt.get();
  start({}, std::move(stt));
  ASSERT_TRUE(speak("hello.wav", [&] { return failing->finishes >= 1; }) || failing->finishes >= 1);
  ASSERT_TRUE(loop_.runUntil([&] { return agent_->stats().framesOut > 10; }, 10s)) << "the caller hears it";
  ASSERT_TRUE(waitForAgentTurns(1)) << dump();
  EXPECT_EQ(agentTurns()[0]->at("text"), "Sorry, I didn't catch that. Could you say it again?");
  EXPECT_TRUE(failed_.empty());
  for (int i = 0; i < 3 && failed_.empty(); ++i) {
    const int before = failing->finishes;
    speak("hello.wav", [&] { return failing->finishes > before; });
    loop_.runUntil([&] { return failing->finishes > before && !failed_.empty(); }, 3s);
  }
  ASSERT_EQ(failed_.size(), 1U);
  EXPECT_NE(failed_[0].find("speech recognition failed 3 times"), std::string::npos) << failed_[0];
  EXPECT_NE(failed_[0].find("HTTP 401"), std::string::npos) << failed_[0];
}

}  // namespace
}  // namespace convox::worker

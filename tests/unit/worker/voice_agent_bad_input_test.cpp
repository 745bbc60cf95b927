// The voice agent against callers who give it nothing useful: one who never
// publishes, one whose microphone sends only silence, one who sends garbage
// instead of Opus, and a call that runs past its maximum duration. Each ends
// the call with its reason or carries on; none crashes or stalls the agent.
// Real stages (PocketSphinx and espeak-ng on the pool), a scripted model.

#include "voice_agent.hpp"

#include "voice_agent_hooks.hpp"

#include "rtc/event_loop.hpp"
#include "rtc/opus_codec.hpp"
#include "voice/compute_pool.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>

namespace convox::worker {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kFirstMessage = "Welcome.";
constexpr const char* kReply = "Hello to you too.";

class EchoModel final : public voice::LanguageModel {
 public:
  void reply(const std::vector<voice::ChatMessage>&, voice::ReplyCallbacks callbacks) override {
    callbacks.onText(kReply);
    callbacks.onDone({}, "");
  }
  void cancel() override {}
};

class VoiceAgentBadInputTest : public ::testing::Test {
 protected:
  void start(agent_config::Timeouts timeouts) {
    agent_config::AgentSettings settings;
    settings.firstMessage.inbound = kFirstMessage;
    settings.timeouts = timeouts;
    auto hooks = recordingHooks(turns_);
    hooks.endCall = [this](const std::string& reason) { ended_ = reason; };
    hooks.fail = [this](const std::string& error) { failed_ = error; };
    agent_ = std::make_unique<VoiceAgent>(loop_, pool_, std::move(settings), std::map<std::string, std::string>{},
                                          false, std::move(hooks));
    std::string error;
    ASSERT_TRUE(agent_->init(std::make_unique<EchoModel>(), error)) << error;
    agent_->start();
  }

  void TearDown() override { agent_.reset(); }

  // A microphone that sends `payload()` every 20 ms, as RTP would, until stopped.
  void streamEvery20Ms(std::function<std::vector<uint8_t>()> payload) {
    loop_.addTimer(20ms, [this, payload] {
      if (!streaming_ || !agent_) return;
      const auto bytes = payload();
      agent_->onUserAudio(0x1234, sequence_++, timestamp_, bytes);
      timestamp_ += rtc::kOpusFrameSamples;
      streamEvery20Ms(payload);
    });
  }

  size_t agentTurnsSaying(const std::string& text) const {
    size_t n = 0;
    for (const auto& t : turns_) n += t.at("role") == "agent" && t.at("text") == json::string_view(text) ? 1 : 0;
    return n;
  }
  size_t userTurns() const {
    size_t n = 0;
    for (const auto& t : turns_) n += t.at("role") == "user" ? 1 : 0;
    return n;
  }

  rtc::EventLoop loop_;
  voice::ComputePool pool_{1, 16};
  std::vector<json::object> turns_;
  std::optional<std::string> ended_;
  std::optional<std::string> failed_;
  std::unique_ptr<VoiceAgent> agent_;
  bool streaming_ = true;
  uint16_t sequence_ = 100;
  uint32_t timestamp_ = 5000;
};

TEST_F(VoiceAgentBadInputTest, ACallerWhoNeverPublishesIsAskedAndThenTheCallEndsAsSilence) {
  start({.turnAfterSilenceMs = 1000, .endAfterSilenceMs = 3000});
  ASSERT_TRUE(loop_.runUntil([this] { return ended_.has_value(); }, 30s));
  EXPECT_EQ(*ended_, "silence_timeout");
  EXPECT_EQ(agentTurnsSaying(kFirstMessage), 1U);
  EXPECT_EQ(agentTurnsSaying("Are you still there?"), 1U);  // once, not every second
  EXPECT_EQ(userTurns(), 0U);
  EXPECT_FALSE(failed_) << *failed_;
}

TEST_F(VoiceAgentBadInputTest, AMicrophoneSendingOnlySilenceIsSilence) {
  std::string error;
  auto encoder = std::shared_ptr<rtc::OpusFrameEncoder>(rtc::OpusFrameEncoder::create({}, error));
  ASSERT_TRUE(encoder) << error;
  std::vector<int16_t> quiet(rtc::kOpusFrameSamples, 0);
  streamEvery20Ms([encoder, quiet] {
    std::vector<uint8_t> packet(rtc::kOpusMaxPacketBytes);
    const int n = encoder->encode(quiet, packet);
    packet.resize(static_cast<size_t>(std::max(n, 0)));
    return packet;
  });
  start({.endAfterSilenceMs = 2500});
  ASSERT_TRUE(loop_.runUntil([this] { return ended_.has_value(); }, 30s));
  EXPECT_EQ(*ended_, "silence_timeout");
  EXPECT_GT(agent_->stats().framesIn, 50U) << "the silence was received and decoded";
  EXPECT_EQ(userTurns(), 0U);
}

TEST_F(VoiceAgentBadInputTest, GarbageInsteadOfOpusIsConcealedAndTheCallGoesOn) {
  std::mt19937 random(7);
  streamEvery20Ms([&random] {
    std::vector<uint8_t> bytes(1 + random() % 300);
    for (auto& b : bytes) b = static_cast<uint8_t>(random());
    return bytes;
  });
  start({});
  loop_.runFor(2000ms);
  streaming_ = false;
  // Whatever the garbage decoded to, the agent still answers what is typed.
  ASSERT_TRUE(loop_.runUntil([this] { return agentTurnsSaying(kFirstMessage) == 1; }, 30s));
  agent_->onUserText("hello");
  ASSERT_TRUE(loop_.runUntil([this] { return agentTurnsSaying(kReply) == 1; }, 30s));
  EXPECT_FALSE(ended_) << *ended_;
  EXPECT_FALSE(failed_) << *failed_;
}

TEST_F(VoiceAgentBadInputTest, TheMaximumDurationEndsTheCall) {
  start({.maxConversationMs = 1500});
  ASSERT_TRUE(loop_.runUntil([this] { return ended_.has_value(); }, 30s));
  EXPECT_EQ(*ended_, "max_duration");
}

}  // namespace
}  // namespace convox::worker

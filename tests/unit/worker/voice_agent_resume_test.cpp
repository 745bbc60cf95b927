// A voice agent given the stored conversation of a re-dispatched job: no
// first message again, the model sees the history, turn ids go on after the
// stored ones, results collected before survive, and a user turn the old
// worker never answered is answered. Real stages (PocketSphinx and espeak-ng
// load on the pool), a scripted model in place of the dialog engine.

#include "voice_agent.hpp"

#include "voice_agent_hooks.hpp"

#include "rtc/event_loop.hpp"
#include "voice/compute_pool.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace convox::worker {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kFirstMessage = "Welcome to the test clinic.";
constexpr const char* kReply = "We are open from nine to five.";

// Answers every turn with kReply and one result field, recording the history it was given.
class ScriptedModel final : public voice::LanguageModel {
 public:
  explicit ScriptedModel(std::vector<std::vector<voice::ChatMessage>>& seen) : seen_(seen) {}
  void reply(const std::vector<voice::ChatMessage>& history, voice::ReplyCallbacks callbacks) override {
    seen_.push_back(history);
    callbacks.onText(kReply);
    callbacks.onAction({"set_results", {{"asked_hours", true}}});
    callbacks.onDone({}, "");
  }
  void cancel() override {}

 private:
  std::vector<std::vector<voice::ChatMessage>>& seen_;
};

class VoiceAgentResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_config::AgentSettings settings;
    settings.firstMessage.inbound = kFirstMessage;
    auto hooks = recordingHooks(turns_);
    hooks.setResults = [this](const json::object& results) { results_ = results; };
    agent_ = std::make_unique<VoiceAgent>(loop_, pool_, std::move(settings), std::map<std::string, std::string>{},
                                          false, std::move(hooks));
    std::string error;
    ASSERT_TRUE(agent_->init(std::make_unique<ScriptedModel>(seen_), error)) << error;
  }

  void TearDown() override { agent_.reset(); }

  static ConversationSoFar stored(std::vector<voice::ChatMessage> history, uint64_t lastNumber,
                                  std::string unanswered = {}) {
    ConversationSoFar s;
    s.turnsStored = history.size();
    s.history = std::move(history);
    s.lastTurnNumber = lastNumber;
    s.unanswered = std::move(unanswered);
    s.results = {{"wants_appointment", true}};
    return s;
  }

  const json::object* agentTurn() const {
    for (const auto& t : turns_) {
      if (t.at("role") == "agent") return &t;
    }
    return nullptr;
  }

  bool waitForAgentTurn() {
    return loop_.runUntil([this] { return agentTurn() != nullptr; }, 30s);
  }

  static std::string idOf(const json::object& turn) { return std::string(turn.at("turn_id").as_string()); }

  rtc::EventLoop loop_;
  voice::ComputePool pool_{1, 16};
  std::vector<json::object> turns_;
  std::vector<std::vector<voice::ChatMessage>> seen_;
  std::optional<json::object> results_;
  std::unique_ptr<VoiceAgent> agent_;
};

TEST_F(VoiceAgentResumeTest, AFreshCallSaysItsFirstMessageAndNumbersFromOne) {
  agent_->start();
  ASSERT_TRUE(waitForAgentTurn());
  EXPECT_EQ(agentTurn()->at("text"), kFirstMessage);
  EXPECT_EQ(idOf(*agentTurn()).rfind("a1_", 0), 0U) << idOf(*agentTurn());
  EXPECT_TRUE(seen_.empty());
}

TEST_F(VoiceAgentResumeTest, AResumedCallContinuesWithoutTheFirstMessage) {
  agent_->resume(stored({{"assistant", kFirstMessage, {}},
                         {"user", "book an appointment", {}},
                         {"assistant", "For when would you like it?", {}}},
                        3));
  agent_->start();
  loop_.runFor(2500ms);  // long enough for the engines to load and a first message to start
  EXPECT_EQ(agent_->stats().framesOut, 0U) << "the agent spoke unprompted";
  agent_->onUserText("what are your opening hours");
  ASSERT_TRUE(waitForAgentTurn());

  ASSERT_EQ(seen_.size(), 1U);
  const std::vector<std::pair<std::string, std::string>> expected{{"assistant", kFirstMessage},
                                                                  {"user", "book an appointment"},
                                                                  {"assistant", "For when would you like it?"},
                                                                  {"user", "what are your opening hours"}};
  ASSERT_EQ(seen_[0].size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(seen_[0][i].role, expected[i].first) << i;
    EXPECT_EQ(seen_[0][i].content, expected[i].second) << i;
  }
  ASSERT_EQ(turns_.size(), 2U);
  EXPECT_EQ(turns_[0].at("role"), "user");
  EXPECT_EQ(idOf(turns_[0]).rfind("u4_", 0), 0U) << idOf(turns_[0]);
  EXPECT_EQ(agentTurn()->at("text"), kReply);
  EXPECT_EQ(idOf(*agentTurn()).rfind("a5_", 0), 0U) << idOf(*agentTurn());
  // What the dialog collected before the crash is still there beside the new field.
  ASSERT_TRUE(results_);
  EXPECT_EQ(results_->at("wants_appointment"), true);
  EXPECT_EQ(results_->at("asked_hours"), true);
}

TEST_F(VoiceAgentResumeTest, AUserTurnTheOldWorkerNeverAnsweredIsAnswered) {
  agent_->resume(stored({{"assistant", kFirstMessage, {}}, {"user", "what are your opening hours", {}}}, 2,
                        "what are your opening hours"));
  agent_->start();
  ASSERT_TRUE(waitForAgentTurn());
  ASSERT_EQ(seen_.size(), 1U);
  ASSERT_EQ(seen_[0].size(), 2U);
  EXPECT_EQ(seen_[0].back().role, "user");
  EXPECT_EQ(seen_[0].back().content, "what are your opening hours");
  // The user's turn is stored already: only the answer is posted.
  ASSERT_EQ(turns_.size(), 1U);
  EXPECT_EQ(agentTurn()->at("text"), kReply);
  EXPECT_EQ(idOf(*agentTurn()).rfind("a3_", 0), 0U) << idOf(*agentTurn());
}

// Review item 7: the answer's turn carries the stored user turn's timings
// (as a live answer does), and none when the stored turn had none.
TEST_F(VoiceAgentResumeTest, TheAnswerToAStoredTurnCarriesItsTimings) {
  auto soFar = stored({{"assistant", kFirstMessage, {}}, {"user", "what are your opening hours", {}}}, 2,
                      "what are your opening hours");
  soFar.unansweredTimings = {
      {"user_speech_start", 1000}, {"user_speech_end", 2000}, {"vad_end", 2500}, {"stt_final", 2600}};
  agent_->resume(std::move(soFar));
  agent_->start();
  ASSERT_TRUE(waitForAgentTurn());
  const auto& timings = agentTurn()->at("timings").as_object();
  EXPECT_EQ(timings.at("user_speech_start"), 1000);
  EXPECT_EQ(timings.at("user_speech_end"), 2000);
  EXPECT_EQ(timings.at("vad_end"), 2500);
  EXPECT_EQ(timings.at("stt_final"), 2600);
}

}  // namespace
}  // namespace convox::worker

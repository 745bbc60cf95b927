// What a voice agent reports of an LLM reply cut by barge-in (issue 14):
// the stream never said its usage, so the chat stream's estimate reaches the
// agent's usage hook marked estimated, summed apart from the measured counts
// of the complete reply that follows. A real OpenAiChatModel against a
// scripted server, its io_context polled from the agent's loop (the same
// thread, as on a media thread); the offline STT and TTS.

#include "voice_agent.hpp"

#include "voice_agent_hooks.hpp"

#include "chat_completions_server.hpp"  // tests/unit/voice
#include "rtc/event_loop.hpp"
#include "voice/compute_pool.hpp"
#include "voice/openai_chat_model.hpp"

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

namespace convox::worker {
namespace {

using namespace std::chrono_literals;
using voice::testing::AfterScript;
using voice::testing::ChatCompletionsServer;
using voice::testing::eventStreamHead;
using voice::testing::httpChunk;
using voice::testing::kLastChunk;
using voice::testing::sseEvent;

std::string contentChunk(std::string_view text) {
  return R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024",)"
         R"("choices":[{"index":0,"delta":{"content":")" +
         std::string(text) + R"("},"logprobs":null,"finish_reason":null}],"usage":null})";
}
const std::string kUsageChunk = R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],)"
                                R"("usage":{"prompt_tokens":40,"completion_tokens":2,"total_tokens":42}})";

// Each reply goes to the next server, through a chat model of its own whose
// cut replies report to `cutReplyUsage` (as the factory wires it).
class ServerModel final : public voice::LanguageModel {
 public:
  ServerModel(boost::asio::io_context& io, std::vector<std::string> baseUrls, voice::UsageSink cutReplyUsage)
      : io_(io), baseUrls_(std::move(baseUrls)), cutReplyUsage_(std::move(cutReplyUsage)) {}
  void reply(const std::vector<voice::ChatMessage>& history, voice::ReplyCallbacks callbacks) override {
    ASSERT_LT(next_, baseUrls_.size()) << "more replies than servers";
    voice::OpenAiChatSettings s;
    s.baseUrl = baseUrls_[next_++];
    s.provider = "openai";
    s.model = "gpt-4o-mini";
    s.cutReplyUsage = cutReplyUsage_;
    model_ = std::make_unique<voice::OpenAiChatModel>(io_, s);
    model_->reply(history, std::move(callbacks));
  }
  void cancel() override {
    if (model_) model_->cancel();
  }

 private:
  boost::asio::io_context& io_;
  std::vector<std::string> baseUrls_;
  voice::UsageSink cutReplyUsage_;
  size_t next_ = 0;
  std::unique_ptr<voice::OpenAiChatModel> model_;
};

class VoiceAgentUsageTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (pumpTimer_) loop_.cancelTimer(pumpTimer_);
    agent_.reset();
  }

  void start(std::vector<std::string> baseUrls) {
    auto hooks = recordingHooks(turns_);
    hooks.usage = [this](const UsageReport& u) {
      if (u.stage == "llm") llm_.push_back(u);
    };
    agent_ = std::make_unique<VoiceAgent>(loop_, pool_, agent_config::AgentSettings{},
                                          std::map<std::string, std::string>{}, false, std::move(hooks));
    VoiceProviders providers;
    providers.model = std::make_unique<ServerModel>(io_, std::move(baseUrls), agent_->usageSink());
    std::string error;
    ASSERT_TRUE(agent_->init(std::move(providers), error)) << error;
    agent_->start();
    pump();
  }

  // The chat model's sockets run on io_, polled from the agent's loop.
  void pump() {
    io_.poll();
    pumpTimer_ = loop_.addTimer(1ms, [this] { pump(); });
  }

  const UsageReport* find(const std::string& unit, bool estimated) const {
    const UsageReport* found = nullptr;
    for (const auto& u : llm_) {
      if (u.unit != unit || u.estimated != estimated) continue;
      EXPECT_EQ(found, nullptr) << unit << (estimated ? " estimated" : " measured") << " reported twice";
      found = &u;
    }
    return found;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  rtc::EventLoop loop_;
  voice::ComputePool pool_{1, 16};
  std::vector<boost::json::object> turns_;
  std::vector<UsageReport> llm_;
  uint32_t pumpTimer_ = 0;
  std::unique_ptr<VoiceAgent> agent_;
};

TEST_F(VoiceAgentUsageTest, AReplyCutByBargeInIsReportedEstimatedAndACompleteOneMeasured) {
  // The first sentence is spoken once the next one begins.
  const std::string said = "We are open from nine to five. On Saturdays we";  // 46 bytes
  // The first reply streams its sentence and then nothing: still generating
  // when the caller interrupts. The second ends with its usage chunk.
  ChatCompletionsServer cut(io_, {{eventStreamHead() + httpChunk(sseEvent(contentChunk(said)))}}, AfterScript::kHold);
  ChatCompletionsServer complete(
      io_,
      {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Okay.")) + sseEvent(kUsageChunk) + sseEvent("[DONE]")) +
        std::string(kLastChunk)}},
      AfterScript::kHold);
  start({cut.baseUrl(), complete.baseUrl()});
  agent_->onUserText("what are your opening hours");
  ASSERT_TRUE(loop_.runUntil([this] { return agent_->stats().framesOut > 5; }, 30s)) << "the reply was never heard";
  agent_->onUserText("never mind");  // interrupts it, like speech would
  ASSERT_TRUE(loop_.runUntil([this] { return find("input_tokens", false) != nullptr; }, 30s))
      << "the complete reply's usage never came";

  // The cut reply: the stream said neither count, so both are the estimate
  // at the uncalibrated quarter token per byte, and are marked so.
  const auto* cutIn = find("input_tokens", true);
  const auto* cutOut = find("output_tokens", true);
  ASSERT_NE(cutIn, nullptr);
  ASSERT_NE(cutOut, nullptr);
  EXPECT_GT(cutIn->quantity, 0);
  EXPECT_EQ(cutOut->quantity, 12);  // ceil(46 / 4)
  EXPECT_EQ(cutOut->provider, "openai");
  EXPECT_EQ(cutOut->model, "gpt-4o-mini-2024");  // as the stream named it
  // The complete reply: the server's counts, not marked, not summed with the estimate.
  const auto* in = find("input_tokens", false);
  const auto* out = find("output_tokens", false);
  ASSERT_NE(in, nullptr);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(in->quantity, 40);
  EXPECT_EQ(out->quantity, 2);
  EXPECT_EQ(out->model, cutOut->model);  // the same key but for the mark
}

}  // namespace
}  // namespace convox::worker

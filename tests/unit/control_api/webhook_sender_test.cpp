// The webhook sender's refusals: logged once with the host and the reason,
// never with the target's secret or the URL's credentials.
#include "control_api/webhook_sender.hpp"
#include "common/logging.hpp"
#include "store_fixture.hpp"

#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <sstream>
#include <thread>

namespace convox::control_api::testing {
namespace {

using WebhookSenderTest = StoreTest;

TEST_P(WebhookSenderTest, ARefusedTargetIsLoggedWithoutSecrets) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto log = common::logger("webhooks");
  log->sinks().push_back(sink);

  const auto team = repo().createTeam("hooks");
  AgentRecord agent;
  agent.id = "a";
  agent.name = "A";
  agent.configJson =
      R"({"name":"A","webhooks":[{"id":"wh_1","url":"http://user:pa55word@127.0.0.1:9/hook?token=t0ken",)"
      R"("secret":"top-secret","events":["call.started"]}]})";
  ASSERT_TRUE(repo().createAgent(team, agent));
  ConversationRecord c;
  c.id = "conv1";
  c.agentId = "a";
  c.status = "in_progress";
  c.traceId = "t";
  c.room = "r";
  c.createdAt = 1;
  repo().createConversation(team, c);
  {
    WebhookSender sender(repo(), WebhookDeliverySettings{});  // private networks refused
    sender.conversationChanged(team, c);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (repo().listDeliveries(team, "conv1").empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  log->sinks().pop_back();
  const auto deliveries = repo().listDeliveries(team, "conv1");
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].error.value_or("").rfind("refused", 0), 0u);

  const auto text = captured.str();
  EXPECT_NE(text.find("refused"), std::string::npos) << text;
  EXPECT_NE(text.find("127.0.0.1"), std::string::npos) << text;
  EXPECT_NE(text.find("loopback"), std::string::npos) << text;
  EXPECT_NE(text.find("conv1"), std::string::npos) << text;
  EXPECT_EQ(text.find("top-secret"), std::string::npos) << text;
  EXPECT_EQ(text.find("pa55word"), std::string::npos) << text;
  EXPECT_EQ(text.find("t0ken"), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(Stores, WebhookSenderTest, ::testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace convox::control_api::testing

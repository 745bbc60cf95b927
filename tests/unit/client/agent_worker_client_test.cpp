// The client's agent-protocol worker against the real dispatcher on
// loopback: registration, availability (accepted, declined, while
// draining), assignment with its job token, job status reports, and
// re-registration under a new id after the server drops the connection.
#include "client/agent_worker_client.hpp"

#include "common/http_server.hpp"
#include "dispatcher/agent_service.hpp"
#include "dispatcher/dispatcher.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <boost/asio/io_context.hpp>

using namespace convox;
using namespace std::chrono_literals;

namespace {

constexpr const char* kKey = "testkey";
constexpr const char* kSecret = "a-secret-long-enough-for-hs256-signing";

struct Worker : client::AgentWorkerListener {
  bool accept = true;
  int asked = 0;
  std::vector<std::string> registrations;
  std::vector<livekit::JobAssignment> assignments;
  std::vector<std::string> terminations;
  std::vector<std::string> losses;
  void onRegistered(const std::string& id) override { registrations.push_back(id); }
  client::AvailabilityAnswer onAvailability(const livekit::AvailabilityRequest&) override {
    ++asked;
    client::AvailabilityAnswer answer;
    answer.available = accept;
    answer.participantName = "Convox agent";
    return answer;
  }
  void onAssignment(const livekit::JobAssignment& a) override { assignments.push_back(a); }
  void onTermination(const std::string& id) override { terminations.push_back(id); }
  client::WorkerLoad currentLoad() override { return {0.25f, false, static_cast<uint32_t>(assignments.size())}; }
  void onConnectionLost(const std::string& reason, std::chrono::milliseconds) override { losses.push_back(reason); }
};

class AgentWorkerClientTest : public ::testing::Test {
 protected:
  AgentWorkerClientTest() : dispatcher_(clock_, secrets(), {}, registry_), service_(io_, dispatcher_, secrets()) {
    common::HttpRouter router;
    service_.mount(router);
    server_.emplace(io_, std::move(router), common::HttpServerLimits{});
    server_->listen("127.0.0.1", 0);
    options_.url = "http://127.0.0.1:" + std::to_string(server_->port());
    options_.apiKey = kKey;
    options_.apiSecret = kSecret;
    options_.agentName = "convox";
    options_.loadInterval = 200ms;
  }
  ~AgentWorkerClientTest() override {
    service_.stop();
    server_->stop();
    io_.run_for(100ms);
  }

  static common::SecretLookup secrets() {
    return [](std::string_view key) -> std::optional<std::string> {
      if (key == kKey) return std::string(kSecret);
      return std::nullopt;
    };
  }

  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_for(10ms);
    return done();
  }

  std::string dispatch(const std::string& room) {
    livekit::Room info;
    info.set_name(room);
    info.set_sid("RM_" + room);
    dispatcher_.onRoomStarted(info, {});
    livekit::CreateAgentDispatchRequest request;
    request.set_agent_name("convox");
    request.set_room(room);
    request.set_metadata(R"({"agent":{"id":"agt_1"}})");
    auto created = dispatcher_.createDispatch(request);
    EXPECT_TRUE(created.has_value());
    return created ? created->id() : std::string();
  }

  std::optional<dispatcher::JobSnapshot> onlyJob(const std::string& room) {
    // The room's automatic dispatch (agent name "") may wait beside ours.
    std::optional<dispatcher::JobSnapshot> found;
    for (auto& job : dispatcher_.jobsInRoom(room)) {
      if (job.job.agent_name() != "convox") continue;
      if (found) return std::nullopt;
      found = std::move(job);
    }
    return found;
  }

  boost::asio::io_context io_;
  dispatcher::SystemClock clock_;
  prometheus::Registry registry_;
  dispatcher::Dispatcher dispatcher_;
  dispatcher::AgentService service_;
  std::optional<common::HttpServer> server_;
  client::AgentWorkerOptions options_;
  Worker worker_;
};

}  // namespace

TEST_F(AgentWorkerClientTest, RegistersTakesAJobAndReportsItsEnd) {
  client::AgentWorkerClient client(io_, worker_, options_);
  std::string error;
  ASSERT_TRUE(client.start(error)) << error;
  ASSERT_TRUE(runUntil([&] { return client.registered(); }, 5s));
  EXPECT_EQ(worker_.registrations.size(), 1u);
  EXPECT_EQ(client.workerId().rfind("AW_", 0), 0u) << client.workerId();
  EXPECT_EQ(dispatcher_.workerCount(), 1u);

  dispatch("r1");
  ASSERT_TRUE(runUntil([&] { return !worker_.assignments.empty(); }, 5s));
  const auto& assignment = worker_.assignments[0];
  EXPECT_EQ(assignment.job().room().name(), "r1");
  EXPECT_EQ(assignment.job().metadata(), R"({"agent":{"id":"agt_1"}})");
  EXPECT_FALSE(assignment.token().empty());
  auto job = onlyJob("r1");
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->phase, dispatcher::JobPhase::Running);
  EXPECT_EQ(job->job.state().participant_identity(), "agent-" + assignment.job().id());

  client.updateJob(assignment.job().id(), livekit::JS_SUCCESS);
  ASSERT_TRUE(runUntil(
      [&] {
        auto j = onlyJob("r1");
        return !j || j->phase == dispatcher::JobPhase::Ended;
      },
      5s));
}

TEST_F(AgentWorkerClientTest, DeclinedAndDrainingWorkersAreNotGivenTheJob) {
  worker_.accept = false;
  client::AgentWorkerClient client(io_, worker_, options_);
  std::string error;
  ASSERT_TRUE(client.start(error)) << error;
  ASSERT_TRUE(runUntil([&] { return client.registered(); }, 5s));
  dispatch("r2");
  ASSERT_TRUE(runUntil([&] { return worker_.asked == 1; }, 5s));
  io_.run_for(300ms);
  EXPECT_TRUE(worker_.assignments.empty());
  auto job = onlyJob("r2");
  ASSERT_TRUE(job.has_value());
  ASSERT_FALSE(job->attempts.empty());
  EXPECT_EQ(job->attempts[0].outcome, "declined");

  // Draining: the worker reports itself full and declines without asking its listener.
  worker_.accept = true;
  client.drain();
  io_.run_for(300ms);
  dispatch("r3");
  io_.run_for(500ms);
  EXPECT_EQ(worker_.asked, 1);
  EXPECT_TRUE(worker_.assignments.empty());
}

TEST_F(AgentWorkerClientTest, ReRegistersUnderANewIdAfterTheServerDropsIt) {
  client::AgentWorkerClient client(io_, worker_, options_);
  std::string error;
  ASSERT_TRUE(client.start(error)) << error;
  ASSERT_TRUE(runUntil([&] { return client.registered(); }, 5s));
  const auto first = client.workerId();
  dispatcher_.closeAllWorkers("test restart");
  ASSERT_TRUE(runUntil([&] { return !worker_.losses.empty(); }, 5s));
  ASSERT_TRUE(runUntil([&] { return worker_.registrations.size() == 2; }, 6s));
  EXPECT_NE(worker_.registrations[1], first);
  EXPECT_EQ(client.connectAttempts(), 2);
  EXPECT_EQ(dispatcher_.workerCount(), 1u);
}

TEST_F(AgentWorkerClientTest, WrongSecretIsRefusedAndRetried) {
  options_.apiSecret = "not-the-secret-the-server-knows-at-all";
  client::AgentWorkerClient client(io_, worker_, options_);
  std::string error;
  ASSERT_TRUE(client.start(error)) << error;
  ASSERT_TRUE(runUntil([&] { return !worker_.losses.empty(); }, 5s));
  EXPECT_NE(worker_.losses[0].find("401"), std::string::npos) << worker_.losses[0];
  EXPECT_FALSE(client.registered());
  EXPECT_EQ(dispatcher_.workerCount(), 0u);
}

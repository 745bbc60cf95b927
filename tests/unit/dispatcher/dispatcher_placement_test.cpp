// Placement: weights, decline, timeout, and jobs waiting for a worker.

#include "dispatcher_fixture.hpp"

namespace convox::testing {
namespace {

using dispatcher::JobPhase;
using namespace std::chrono_literals;

TEST_F(DispatcherTest, PicksByFreeCapacityAmongAvailableWorkers) {
  auto idle = registerWorker();
  auto busy = registerWorker();
  auto full = registerWorker();
  updateWorker(idle, livekit::WS_AVAILABLE, 0.0F);
  updateWorker(busy, livekit::WS_AVAILABLE, 0.5F);
  updateWorker(full, livekit::WS_FULL, 0.0F);
  // Weights 1.0 and 0.5: draws below 2/3 go to the idle worker.
  draw_ = 0.6;
  startRoom("a");
  EXPECT_EQ(idle.conn->availabilityRequests().size(), 1U);
  draw_ = 0.7;
  startRoom("b");
  EXPECT_EQ(busy.conn->availabilityRequests().size(), 1U);
  EXPECT_TRUE(full.conn->availabilityRequests().empty());
}

TEST_F(DispatcherTest, AutomaticDispatchSkipsNamedWorkers) {
  auto named = registerWorker("support");
  startRoom("r");
  EXPECT_TRUE(named.conn->availabilityRequests().empty());
  EXPECT_EQ(phase(onlyJob("r")), JobPhase::Waiting);
}

TEST_F(DispatcherTest, ExplicitDispatchReachesTheNamedWorker) {
  auto unnamed = registerWorker();
  auto named = registerWorker("support");
  livekit::RoomAgentDispatch d;
  d.set_agent_name("support");
  d.set_metadata("hello");
  startRoom("r", {d});
  EXPECT_TRUE(unnamed.conn->availabilityRequests().empty());
  auto offers = named.conn->availabilityRequests();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].job().agent_name(), "support");
  EXPECT_EQ(offers[0].job().metadata(), "hello");
}

TEST_F(DispatcherTest, DeclineMovesToTheNextWorkerThenWaits) {
  auto a = registerWorker();
  auto b = registerWorker();
  startRoom("r");
  const auto jobId = onlyJob("r");
  ASSERT_EQ(a.conn->availabilityRequests().size(), 1U);  // draw 0 picks the first
  answer(a, jobId, false);
  ASSERT_EQ(b.conn->availabilityRequests().size(), 1U);
  answer(b, jobId, false);
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  auto job = dispatcher_.findJob(jobId);
  ASSERT_EQ(job->attempts.size(), 2U);
  EXPECT_EQ(job->attempts[0].workerId, a.id);
  EXPECT_EQ(job->attempts[0].outcome, "declined");
  EXPECT_EQ(job->attempts[1].outcome, "declined");

  // A worker that declined is not asked again; a new one is.
  updateWorker(a, livekit::WS_AVAILABLE, 0.0F);
  EXPECT_EQ(a.conn->availabilityRequests().size(), 1U);
  auto c = registerWorker();
  ASSERT_EQ(c.conn->availabilityRequests().size(), 1U);
  answer(c, jobId, true);
  EXPECT_EQ(phase(jobId), JobPhase::Running);
}

TEST_F(DispatcherTest, TerminateAnswerEndsTheJobWithoutRetry) {
  auto a = registerWorker();
  auto b = registerWorker();
  startRoom("r");
  const auto jobId = onlyJob("r");
  answer(a, jobId, false, /*terminate=*/true);
  EXPECT_EQ(phase(jobId), JobPhase::Ended);
  EXPECT_EQ(dispatcher_.findJob(jobId)->job.state().status(), livekit::JS_SUCCESS);
  EXPECT_TRUE(b.conn->availabilityRequests().empty());
}

TEST_F(DispatcherTest, SilentWorkerTimesOutAndTheNextOneIsAsked) {
  auto silent = registerWorker();
  auto other = registerWorker();
  startRoom("r");
  const auto jobId = onlyJob("r");
  ASSERT_EQ(silent.conn->availabilityRequests().size(), 1U);
  clock_.advance(2999ms);
  dispatcher_.onTick();
  EXPECT_TRUE(other.conn->availabilityRequests().empty());
  clock_.advance(1ms);
  dispatcher_.onTick();
  ASSERT_EQ(other.conn->availabilityRequests().size(), 1U);
  EXPECT_EQ(dispatcher_.findJob(jobId)->attempts[0].outcome, "timeout");

  answer(silent, jobId, true);  // too late: ignored
  EXPECT_TRUE(silent.conn->assignments().empty());
  answer(other, jobId, true);
  EXPECT_EQ(other.conn->assignments().size(), 1U);
  EXPECT_NE(metricsText().find("convox_agent_job_attempts_total{outcome=\"timeout\"} 1"), std::string::npos);
}

TEST_F(DispatcherTest, JobWaitsUntilAMatchingWorkerRegisters) {
  startRoom("r");
  const auto jobId = onlyJob("r");
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  clock_.advance(30s);
  dispatcher_.onTick();
  registerWorker("other-agent");
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  auto w = registerWorker();
  ASSERT_EQ(w.conn->availabilityRequests().size(), 1U);
  // The register response still comes first.
  EXPECT_TRUE(w.conn->sent.front().has_register_());
  clock_.advance(250ms);
  answer(w, jobId, true);
  EXPECT_EQ(phase(jobId), JobPhase::Running);
  EXPECT_NE(metricsText().find("convox_agent_dispatch_latency_seconds_count 1"), std::string::npos);
}

TEST_F(DispatcherTest, JobWaitsUntilAFullWorkerFreesUp) {
  auto w = registerWorker();
  updateWorker(w, livekit::WS_FULL, 1.0F);
  startRoom("r");
  EXPECT_EQ(phase(onlyJob("r")), JobPhase::Waiting);
  updateWorker(w, std::nullopt, 0.2F);  // no status: still full
  EXPECT_TRUE(w.conn->availabilityRequests().empty());
  updateWorker(w, livekit::WS_AVAILABLE, 0.2F);
  EXPECT_EQ(w.conn->availabilityRequests().size(), 1U);
}

TEST_F(DispatcherTest, WaitingJobExpiresAfterTheQueueTimeout) {
  startRoom("r");
  const auto jobId = onlyJob("r");
  clock_.advance(59999ms);
  dispatcher_.onTick();
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  clock_.advance(1ms);
  dispatcher_.onTick();
  EXPECT_FALSE(dispatcher_.findJob(jobId).has_value());
  auto list = dispatcher_.listDispatches("r", "");
  ASSERT_EQ(list->size(), 1U);
  EXPECT_EQ(list->at(0).state().jobs_size(), 0);
  auto w = registerWorker();
  EXPECT_TRUE(w.conn->availabilityRequests().empty());
}

}  // namespace
}  // namespace convox::testing

// A worker and its job's agent both vanish (the worker process group was
// killed): the job is dispatched again, whichever of the two connections
// the server sees drop first. An agent that drops while its worker stays
// fails the job after a grace period; one that says goodbye fails it at once.

#include "dispatcher_fixture.hpp"

namespace convox::testing {
namespace {

using dispatcher::JobPhase;

class WorkerLossTest : public DispatcherTest {
 protected:
  // A job running on `a_` whose agent is in the room; `b_` waits idle.
  void SetUp() override {
    a_ = registerWorker();
    startRoom("r");
    jobId_ = onlyJob("r");
    answer(a_, jobId_, true);
    ASSERT_EQ(phase(jobId_), JobPhase::Running);
    b_ = registerWorker();
    dispatcher_.onParticipantJoined(room("r"), agent(livekit::UNKNOWN_REASON));
    ASSERT_TRUE(b_.conn->availabilityRequests().empty());
  }

  livekit::ParticipantInfo agent(livekit::DisconnectReason reason) const {
    auto p = participant("agent-" + jobId_, livekit::ParticipantInfo::AGENT);
    p.set_disconnect_reason(reason);
    return p;
  }

  void expectOfferedToB() {
    auto offers = b_.conn->availabilityRequests();
    ASSERT_EQ(offers.size(), 1U);
    EXPECT_EQ(offers[0].job().id(), jobId_);
    auto job = dispatcher_.findJob(jobId_);
    EXPECT_EQ(job->phase, JobPhase::Offered);
    EXPECT_TRUE(job->job.state().participant_identity().empty());
    ASSERT_EQ(job->attempts.size(), 2U);
    EXPECT_EQ(job->attempts[0].outcome, "worker lost");
    answer(b_, jobId_, true);
    EXPECT_EQ(phase(jobId_), JobPhase::Running);
    EXPECT_EQ(dispatcher_.findJob(jobId_)->job.state().worker_id(), b_.id);
  }

  FakeWorker a_;
  FakeWorker b_;
  std::string jobId_;
};

TEST_F(WorkerLossTest, AgentDropsThenWorkerDrops) {
  dispatcher_.onParticipantLeft(room("r"), agent(livekit::SIGNAL_CLOSE));
  EXPECT_EQ(phase(jobId_), JobPhase::Running);  // held: is the worker gone too?
  EXPECT_TRUE(a_.conn->terminatedJobs().empty());
  clock_.advance(std::chrono::milliseconds(1000));
  dispatcher_.onTick();
  dispatcher_.onWorkerClosed(a_.id);
  expectOfferedToB();
}

TEST_F(WorkerLossTest, WorkerDropsThenAgentTimesOut) {
  dispatcher_.onWorkerClosed(a_.id);
  EXPECT_EQ(phase(jobId_), JobPhase::Running);  // the agent is still in the room
  EXPECT_TRUE(b_.conn->availabilityRequests().empty());
  dispatcher_.onParticipantLeft(room("r"), agent(livekit::CONNECTION_TIMEOUT));
  expectOfferedToB();
}

TEST_F(WorkerLossTest, AgentDropWithTheWorkerStillHereFailsAfterTheGrace) {
  dispatcher_.onParticipantLeft(room("r"), agent(livekit::SIGNAL_CLOSE));
  clock_.advance(std::chrono::milliseconds(19999));
  dispatcher_.onTick();
  EXPECT_EQ(phase(jobId_), JobPhase::Running);
  clock_.advance(std::chrono::milliseconds(1));
  dispatcher_.onTick();
  EXPECT_EQ(phase(jobId_), JobPhase::Ended);
  EXPECT_EQ(dispatcher_.findJob(jobId_)->job.state().error(), "agent worker left the room");
  EXPECT_EQ(a_.conn->terminatedJobs(), std::vector<std::string>{jobId_});
  dispatcher_.onWorkerClosed(a_.id);  // too late: the job has ended
  EXPECT_TRUE(b_.conn->availabilityRequests().empty());
}

TEST_F(WorkerLossTest, AgentBackBeforeTheGraceEndsKeepsTheJob) {
  dispatcher_.onParticipantLeft(room("r"), agent(livekit::SIGNAL_CLOSE));
  clock_.advance(std::chrono::milliseconds(15000));  // its resume window passed, then it joined afresh
  dispatcher_.onParticipantJoined(room("r"), agent(livekit::UNKNOWN_REASON));
  clock_.advance(std::chrono::milliseconds(30000));
  dispatcher_.onTick();
  EXPECT_EQ(phase(jobId_), JobPhase::Running);
  EXPECT_TRUE(a_.conn->terminatedJobs().empty());
}

TEST_F(WorkerLossTest, AgentReplacedByItsOwnRejoinKeepsTheJob) {
  // The SFU removes the old participant when the same identity joins again.
  dispatcher_.onParticipantLeft(room("r"), agent(livekit::DUPLICATE_IDENTITY));
  dispatcher_.onParticipantJoined(room("r"), agent(livekit::UNKNOWN_REASON));
  clock_.advance(std::chrono::milliseconds(60000));
  dispatcher_.onTick();
  EXPECT_EQ(phase(jobId_), JobPhase::Running);
  EXPECT_TRUE(a_.conn->terminatedJobs().empty());
}

TEST_F(WorkerLossTest, AgentThatSaysGoodbyeAfterItsWorkerDroppedEndsTheJob) {
  dispatcher_.onWorkerClosed(a_.id);
  dispatcher_.onParticipantLeft(room("r"), agent(livekit::CLIENT_INITIATED));
  EXPECT_EQ(phase(jobId_), JobPhase::Ended);
  EXPECT_EQ(dispatcher_.findJob(jobId_)->job.state().status(), livekit::JS_FAILED);
  EXPECT_TRUE(b_.conn->availabilityRequests().empty());
}

}  // namespace
}  // namespace convox::testing

// Job triggers, worker loss, job end and termination, the dispatch API.

#include "dispatcher_fixture.hpp"

namespace convox::testing {
namespace {

using dispatcher::JobPhase;

class DispatcherLifecycleTest : public DispatcherTest {
 protected:
  // A running JT_ROOM job in `roomName` on `w`; returns its id.
  std::string runJob(const FakeWorker& w, const std::string& roomName) {
    startRoom(roomName);
    const auto jobId = onlyJob(roomName);
    answer(w, jobId, true);
    EXPECT_EQ(phase(jobId), JobPhase::Running);
    return jobId;
  }
};

TEST_F(DispatcherLifecycleTest, ParticipantJobsForEveryoneButAgentsAndEgress) {
  auto w = registerWorker("", livekit::JT_PARTICIPANT);
  startRoom("r");
  dispatcher_.onParticipantJoined(room("r"), participant("alice"));
  dispatcher_.onParticipantJoined(room("r"), participant("bot", livekit::ParticipantInfo::AGENT));
  dispatcher_.onParticipantJoined(room("r"), participant("rec", livekit::ParticipantInfo::EGRESS));
  auto offers = w.conn->availabilityRequests();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].job().type(), livekit::JT_PARTICIPANT);
  EXPECT_EQ(offers[0].job().participant().identity(), "alice");
}

TEST_F(DispatcherLifecycleTest, PublisherJobOnlyOnTheFirstPublish) {
  auto w = registerWorker("", livekit::JT_PUBLISHER);
  startRoom("r");
  dispatcher_.onParticipantJoined(room("r"), participant("alice"));
  dispatcher_.onTrackPublished(room("r"), participant("alice"));
  dispatcher_.onTrackPublished(room("r"), participant("alice"));
  auto offers = w.conn->availabilityRequests();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].job().type(), livekit::JT_PUBLISHER);
}

TEST_F(DispatcherLifecycleTest, ParticipantLeavingDropsItsUnstartedJobs) {
  startRoom("r");
  dispatcher_.onParticipantJoined(room("r"), participant("alice"));
  EXPECT_EQ(dispatcher_.jobsInRoom("r").size(), 2U);  // room + participant, both waiting
  dispatcher_.onParticipantLeft(room("r"), participant("alice"));
  EXPECT_EQ(dispatcher_.jobsInRoom("r").size(), 1U);
}

TEST_F(DispatcherLifecycleTest, WorkerReportingSuccessEndsTheJob) {
  auto w = registerWorker();
  const auto jobId = runJob(w, "r");
  updateJob(w, jobId, livekit::JS_RUNNING);
  EXPECT_EQ(phase(jobId), JobPhase::Running);
  updateJob(w, jobId, livekit::JS_SUCCESS);
  EXPECT_EQ(phase(jobId), JobPhase::Ended);
  auto job = dispatcher_.findJob(jobId);
  EXPECT_EQ(job->job.state().status(), livekit::JS_SUCCESS);
  EXPECT_GT(job->job.state().ended_at(), 0);
  EXPECT_TRUE(w.conn->terminatedJobs().empty());
}

TEST_F(DispatcherLifecycleTest, AgentLeavingFailsTheJobAndTerminatesIt) {
  auto w = registerWorker();
  const auto jobId = runJob(w, "r");
  const auto agent = participant("agent-" + jobId, livekit::ParticipantInfo::AGENT);
  dispatcher_.onParticipantJoined(room("r"), agent);
  dispatcher_.onParticipantLeft(room("r"), agent);
  EXPECT_EQ(phase(jobId), JobPhase::Ended);
  EXPECT_EQ(dispatcher_.findJob(jobId)->job.state().status(), livekit::JS_FAILED);
  EXPECT_EQ(dispatcher_.findJob(jobId)->job.state().error(), "agent worker left the room");
  EXPECT_EQ(w.conn->terminatedJobs(), std::vector<std::string>{jobId});
}

TEST_F(DispatcherLifecycleTest, DroppedWorkerJobIsDispatchedAgainIfTheAgentNeverJoined) {
  auto a = registerWorker();
  const auto jobId = runJob(a, "r");
  auto b = registerWorker();
  EXPECT_TRUE(b.conn->availabilityRequests().empty());
  dispatcher_.onWorkerClosed(a.id);
  auto offers = b.conn->availabilityRequests();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].job().id(), jobId);
  answer(b, jobId, true);
  auto job = dispatcher_.findJob(jobId);
  EXPECT_EQ(job->phase, JobPhase::Running);
  EXPECT_EQ(job->job.state().worker_id(), b.id);
  ASSERT_EQ(job->attempts.size(), 2U);
  EXPECT_EQ(job->attempts[0].outcome, "worker lost");
  EXPECT_EQ(job->attempts[1].outcome, "accepted");
}

TEST_F(DispatcherLifecycleTest, DroppedWorkerJobStaysWhileTheAgentIsInTheRoom) {
  auto a = registerWorker();
  const auto jobId = runJob(a, "r");
  dispatcher_.onParticipantJoined(room("r"), participant("agent-" + jobId, livekit::ParticipantInfo::AGENT));
  auto b = registerWorker();
  dispatcher_.onWorkerClosed(a.id);
  EXPECT_TRUE(b.conn->availabilityRequests().empty());
  EXPECT_EQ(phase(jobId), JobPhase::Running);
}

TEST_F(DispatcherLifecycleTest, WorkerClosingWhileAskedMovesOn) {
  auto a = registerWorker();
  auto b = registerWorker();
  startRoom("r");
  const auto jobId = onlyJob("r");
  dispatcher_.onWorkerClosed(a.id);
  ASSERT_EQ(b.conn->availabilityRequests().size(), 1U);
  EXPECT_EQ(dispatcher_.findJob(jobId)->attempts[0].outcome, "worker closed");
}

TEST_F(DispatcherLifecycleTest, DeletingADispatchTerminatesItsJobs) {
  auto w = registerWorker();
  const auto jobId = runJob(w, "r");
  const auto dispatchId = dispatcher_.findJob(jobId)->job.dispatch_id();
  auto deleted = dispatcher_.deleteDispatch("r", dispatchId);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->id(), dispatchId);
  EXPECT_GT(deleted->state().deleted_at(), 0);
  EXPECT_EQ(w.conn->terminatedJobs(), std::vector<std::string>{jobId});
  EXPECT_EQ(dispatcher_.findJob(jobId)->job.state().status(), livekit::JS_SUCCESS);
  EXPECT_TRUE(dispatcher_.listDispatches("r", "")->empty());
  EXPECT_EQ(dispatcher_.deleteDispatch("r", dispatchId).error().code, dispatcher::DispatchError::Code::NotFound);
}

TEST_F(DispatcherLifecycleTest, DeletingADispatchRemovesItsAgentFromTheRoomAfterTermination) {
  auto w = registerWorker();
  const auto jobId = runJob(w, "r");
  const auto agent = participant("agent-" + jobId, livekit::ParticipantInfo::AGENT);
  dispatcher_.onParticipantJoined(room("r"), agent);
  std::vector<std::string> removed;
  size_t terminationsSentBeforeRemoval = 0;
  dispatcher_.setParticipantRemover([&](const std::string& roomName, const std::string& identity) {
    removed.push_back(roomName + "/" + identity);
    terminationsSentBeforeRemoval = w.conn->terminatedJobs().size();
    dispatcher_.onParticipantLeft(room(roomName), agent);  // the sfu reports the leave at once
  });
  const auto dispatchId = dispatcher_.findJob(jobId)->job.dispatch_id();
  ASSERT_TRUE(dispatcher_.deleteDispatch("r", dispatchId).has_value());
  EXPECT_EQ(removed, std::vector<std::string>{"r/agent-" + jobId});
  EXPECT_EQ(terminationsSentBeforeRemoval, 1U);
  EXPECT_EQ(w.conn->terminatedJobs(), std::vector<std::string>{jobId});  // once, not again for the leave
  EXPECT_EQ(dispatcher_.findJob(jobId)->job.state().status(), livekit::JS_SUCCESS);
}

TEST_F(DispatcherLifecycleTest, DeletingADispatchWhoseAgentNeverJoinedRemovesNobody) {
  auto w = registerWorker();
  const auto jobId = runJob(w, "r");
  dispatcher_.onParticipantJoined(room("r"), participant("alice"));  // not the agent
  std::vector<std::string> removed;
  dispatcher_.setParticipantRemover(
      [&](const std::string& roomName, const std::string& identity) { removed.push_back(roomName + "/" + identity); });
  ASSERT_TRUE(dispatcher_.deleteDispatch("r", dispatcher_.findJob(jobId)->job.dispatch_id()).has_value());
  EXPECT_TRUE(removed.empty());
  EXPECT_EQ(w.conn->terminatedJobs(), std::vector<std::string>{jobId});
}

TEST_F(DispatcherLifecycleTest, RoomClosingEndsAndForgetsItsJobs) {
  auto w = registerWorker();
  const auto jobId = runJob(w, "r");
  dispatcher_.onRoomFinished(room("r"));
  EXPECT_EQ(w.conn->terminatedJobs(), std::vector<std::string>{jobId});
  EXPECT_FALSE(dispatcher_.findJob(jobId).has_value());
  EXPECT_TRUE(dispatcher_.listDispatches("r", "")->empty());
}

TEST_F(DispatcherLifecycleTest, CreateDispatchOnAnExistingRoomLaunchesRoomAndParticipantJobs) {
  auto roomWorker = registerWorker("helper", livekit::JT_ROOM);
  auto participantWorker = registerWorker("helper", livekit::JT_PARTICIPANT);
  startRoom("r");
  dispatcher_.onParticipantJoined(room("r"), participant("alice"));
  livekit::CreateAgentDispatchRequest req;
  req.set_room("r");
  req.set_agent_name("helper");
  req.set_metadata("m");
  auto created = dispatcher_.createDispatch(req);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->id().rfind("AD_", 0), 0U);
  EXPECT_EQ(created->state().jobs_size(), 0);
  EXPECT_EQ(roomWorker.conn->availabilityRequests().size(), 1U);
  ASSERT_EQ(participantWorker.conn->availabilityRequests().size(), 1U);
  EXPECT_EQ(participantWorker.conn->availabilityRequests()[0].job().participant().identity(), "alice");

  auto listed = dispatcher_.listDispatches("r", created->id());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->at(0).state().jobs_size(), 2);
  EXPECT_EQ(dispatcher_.listDispatches("r", "")->size(), 2U);  // with the automatic one
}

TEST_F(DispatcherLifecycleTest, CreateDispatchCreatesAMissingRoomThroughTheRoomCreator) {
  livekit::CreateAgentDispatchRequest req;
  req.set_room("new-room");
  req.set_agent_name("helper");
  EXPECT_EQ(dispatcher_.createDispatch(req).error().code, dispatcher::DispatchError::Code::NotFound);
  dispatcher_.setRoomCreator([this](const std::string& name) {
    startRoom(name);
    return true;
  });
  auto created = dispatcher_.createDispatch(req);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->room(), "new-room");
  req.set_deployment("bad deployment");
  EXPECT_EQ(dispatcher_.createDispatch(req).error().code, dispatcher::DispatchError::Code::InvalidArgument);
}

}  // namespace
}  // namespace convox::testing

// Registration, worker messages, job tokens and bad input.

#include "dispatcher_fixture.hpp"

namespace convox::testing {
namespace {

using dispatcher::JobPhase;

TEST_F(DispatcherTest, RegisterAnswersFirstWithWorkerIdAndServerInfo) {
  auto w = registerWorker();
  ASSERT_EQ(w.conn->sent.size(), 1U);
  ASSERT_TRUE(w.conn->sent[0].has_register_());
  const auto& reg = w.conn->sent[0].register_();
  EXPECT_EQ(reg.worker_id(), w.id);
  EXPECT_EQ(reg.worker_id().rfind("AW_", 0), 0U);
  EXPECT_EQ(reg.worker_id().size(), 15U);
  EXPECT_EQ(reg.server_info().agent_protocol(), 1);
  EXPECT_EQ(reg.server_info().version(), "1.9.0");
  EXPECT_EQ(dispatcher_.workerCount(), 1U);
}

TEST_F(DispatcherTest, RegisterRefusesUnknownJobTypeAndBadDeployment) {
  livekit::RegisterWorkerRequest req;
  req.set_type(static_cast<livekit::JobType>(7));
  auto conn = std::make_shared<RecordingWorkerConnection>();
  auto r = dispatcher_.registerWorker(conn, {kKey, {}}, req);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().reason.find("job type"), std::string::npos);

  req.set_type(livekit::JT_ROOM);
  req.set_deployment("has_underscore");
  r = dispatcher_.registerWorker(conn, {kKey, {}}, req);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().reason.find("deployment"), std::string::npos);
  EXPECT_TRUE(conn->sent.empty());
  EXPECT_EQ(dispatcher_.workerCount(), 0U);
}

TEST_F(DispatcherTest, SecondRegisterIsAProtocolError) {
  auto w = registerWorker();
  livekit::WorkerMessage msg;
  msg.mutable_register_()->set_type(livekit::JT_ROOM);
  auto error = dispatcher_.onWorkerMessage(w.id, msg);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->reason.find("twice"), std::string::npos);
}

TEST_F(DispatcherTest, ShutdownClosesEveryWorker) {
  auto a = registerWorker();
  auto b = registerWorker("named");
  dispatcher_.closeAllWorkers("server shutting down");
  EXPECT_TRUE(a.conn->closed);
  EXPECT_EQ(b.conn->closeCode, 1001);
  EXPECT_EQ(b.conn->closeReason, "server shutting down");
}

TEST_F(DispatcherTest, PingIsAnsweredWithPong) {
  auto w = registerWorker();
  livekit::WorkerMessage msg;
  msg.mutable_ping()->set_timestamp(1234);
  send(w, msg);
  auto pongs = w.conn->of(livekit::ServerMessage::kPong);
  ASSERT_EQ(pongs.size(), 1U);
  EXPECT_EQ(pongs[0].pong().last_timestamp(), 1234);
  EXPECT_GT(pongs[0].pong().timestamp(), 0);
}

TEST_F(DispatcherTest, UnknownJobIdsAndUnknownWorkersAreIgnored) {
  auto w = registerWorker();
  answer(w, "AJ_doesnotexist", true);
  updateJob(w, "AJ_doesnotexist", livekit::JS_SUCCESS);
  livekit::WorkerMessage migrate;
  migrate.mutable_migrate_job()->add_job_ids("AJ_x");
  send(w, migrate);
  EXPECT_FALSE(dispatcher_.onWorkerMessage("AW_unknown", migrate).has_value());
  dispatcher_.onWorkerClosed("AW_unknown");
  EXPECT_EQ(w.conn->sent.size(), 1U);  // only the register response
}

TEST_F(DispatcherTest, AcceptedJobGetsAssignmentWithAgentToken) {
  livekit::RegisterWorkerRequest req;
  req.set_type(livekit::JT_ROOM);
  req.mutable_allowed_permissions()->set_can_publish(true);
  req.mutable_allowed_permissions()->set_can_subscribe(true);
  req.mutable_allowed_permissions()->set_hidden(true);
  auto conn = std::make_shared<RecordingWorkerConnection>();
  FakeWorker w{conn, *dispatcher_.registerWorker(conn, {kKey, {}}, req)};

  startRoom("r1");
  const auto jobId = onlyJob("r1");
  auto offers = conn->availabilityRequests();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].job().id(), jobId);
  EXPECT_EQ(offers[0].job().type(), livekit::JT_ROOM);
  EXPECT_EQ(offers[0].job().room().name(), "r1");
  EXPECT_EQ(offers[0].job().state().status(), livekit::JS_RUNNING);
  EXPECT_EQ(offers[0].job().state().worker_id(), w.id);
  EXPECT_EQ(jobId.rfind("AJ_", 0), 0U);
  EXPECT_EQ(offers[0].job().dispatch_id().rfind("AD_", 0), 0U);

  answer(w, jobId, true);
  auto assignments = conn->assignments();
  ASSERT_EQ(assignments.size(), 1U);
  EXPECT_EQ(assignments[0].job().id(), jobId);
  EXPECT_EQ(assignments[0].url(), "ws://127.0.0.1:7880");
  EXPECT_EQ(phase(jobId), JobPhase::Running);

  auto grants = common::verifyAccessToken(assignments[0].token(), secrets(), clock_.unixNanos() / 1'000'000'000);
  ASSERT_TRUE(grants.has_value()) << grants.error().message;
  EXPECT_EQ(grants->identity, "agent-" + jobId);
  EXPECT_EQ(grants->kind, "agent");
  EXPECT_EQ(grants->name, "agent");
  EXPECT_EQ(grants->attributes.at("lk.agent_name"), "");
  EXPECT_EQ(grants->attributes.at("lk.agent.name"), "");
  EXPECT_EQ(grants->expiresAt - grants->notBefore, 3600);
  ASSERT_TRUE(grants->video.has_value());
  EXPECT_TRUE(grants->video->roomJoin);
  EXPECT_TRUE(grants->video->agent);
  EXPECT_TRUE(grants->video->hidden);
  EXPECT_EQ(grants->video->room, "r1");
  EXPECT_EQ(grants->video->canPublishData, false);
  EXPECT_TRUE(common::checkRoomJoin(*grants).empty());
}

TEST_F(DispatcherTest, SimulatedJobIsOfferedToTheSimulatingWorkerOnly) {
  auto a = registerWorker();
  auto b = registerWorker();
  livekit::WorkerMessage msg;
  *msg.mutable_simulate_job()->mutable_room() = room("sim");
  send(b, msg);
  EXPECT_TRUE(a.conn->availabilityRequests().empty());
  auto offers = b.conn->availabilityRequests();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].job().type(), livekit::JT_ROOM);
  answer(b, offers[0].job().id(), false);
  EXPECT_TRUE(a.conn->availabilityRequests().empty());  // no retry elsewhere
  EXPECT_FALSE(dispatcher_.findJob(offers[0].job().id()).has_value());
}

TEST_F(DispatcherTest, MetricsCountWorkersAndJobs) {
  auto w = registerWorker();
  updateWorker(w, livekit::WS_FULL, 0.9F);
  registerWorker();
  startRoom("m1");
  auto text = metricsText();
  EXPECT_NE(text.find("convox_agent_workers{status=\"full\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("convox_agent_workers{status=\"available\"} 1"), std::string::npos);
  EXPECT_NE(text.find("convox_agent_jobs{state=\"offered\"} 1"), std::string::npos);
  EXPECT_NE(text.find("convox_agent_dispatch_latency_seconds_count 0"), std::string::npos);
}

}  // namespace
}  // namespace convox::testing

// Size limits on worker-provided and API-provided fields: refused with a
// reason, and the job is not lost.

#include "dispatcher_fixture.hpp"

namespace convox::testing {
namespace {

using dispatcher::JobPhase;

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(DispatcherTest, RegisterRefusesOversizedNames) {
  livekit::RegisterWorkerRequest req;
  req.set_type(livekit::JT_ROOM);
  req.set_agent_name(std::string(257, 'a'));
  auto conn = std::make_shared<RecordingWorkerConnection>();
  auto r = dispatcher_.registerWorker(conn, {kKey, {}}, req);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(mentions(r.error().reason, "agent_name is 257 bytes, more than the limit of 256")) << r.error().reason;

  req.set_agent_name(std::string(256, 'a'));
  req.set_version(std::string(1000, 'v'));
  r = dispatcher_.registerWorker(conn, {kKey, {}}, req);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(mentions(r.error().reason, "version")) << r.error().reason;
  EXPECT_TRUE(conn->sent.empty());

  req.set_version("1.9.0");
  EXPECT_TRUE(dispatcher_.registerWorker(conn, {kKey, {}}, req).has_value());
}

class AgentParticipantLimitTest : public DispatcherTest {
 protected:
  // Worker `a` accepts the room's job with `answer`; `b` is the next in line.
  void acceptWith(const livekit::AvailabilityResponse& answer) {
    a_ = registerWorker();
    b_ = registerWorker();
    draw_ = 0.0;  // the first of two idle workers
    startRoom("r");
    jobId_ = onlyJob("r");
    ASSERT_EQ(a_.conn->availabilityRequests().size(), 1U);
    livekit::WorkerMessage msg;
    *msg.mutable_availability() = answer;
    msg.mutable_availability()->set_job_id(jobId_);
    msg.mutable_availability()->set_available(true);
    send(a_, msg);
  }

  void expectRefusedAndOfferedToB(const std::string& reasonPart) {
    EXPECT_TRUE(a_.conn->assignments().empty());
    auto job = dispatcher_.findJob(jobId_);
    ASSERT_TRUE(job.has_value());
    ASSERT_EQ(job->attempts.size(), 2U);
    EXPECT_TRUE(mentions(job->attempts[0].outcome, "refused: ")) << job->attempts[0].outcome;
    EXPECT_TRUE(mentions(job->attempts[0].outcome, reasonPart)) << job->attempts[0].outcome;
    EXPECT_EQ(job->phase, JobPhase::Offered);
    EXPECT_TRUE(job->job.state().participant_identity().empty());
    EXPECT_EQ(b_.conn->availabilityRequests().size(), 1U);
    EXPECT_FALSE(a_.conn->closed);  // one bad answer does not cost the worker its connection
    EXPECT_TRUE(mentions(metricsText(), "outcome=\"refused\""));
  }

  FakeWorker a_;
  FakeWorker b_;
  std::string jobId_;
};

TEST_F(AgentParticipantLimitTest, OversizedMetadataIsRefusedAndTheNextWorkerAsked) {
  livekit::AvailabilityResponse answer;
  answer.set_participant_metadata(std::string(4097, 'm'));
  acceptWith(answer);
  expectRefusedAndOfferedToB("participant_metadata is 4097 bytes");
}

TEST_F(AgentParticipantLimitTest, OversizedAttributesAreRefused) {
  livekit::AvailabilityResponse answer;
  for (int i = 0; i < 5; ++i)
    (*answer.mutable_participant_attributes())["k" + std::to_string(i)] = std::string(900, 'x');
  acceptWith(answer);
  expectRefusedAndOfferedToB("participant_attributes");
}

TEST_F(AgentParticipantLimitTest, OversizedNameAndIdentityAreRefused) {
  livekit::AvailabilityResponse answer;
  answer.set_participant_name(std::string(300, 'n'));
  acceptWith(answer);
  expectRefusedAndOfferedToB("participant_name is 300 bytes");
}

TEST_F(AgentParticipantLimitTest, FieldsThatMakeTheTokenTooLongAreRefused) {
  // Within each field's limit, but JSON escaping (\u0001 is 6 bytes) and
  // base64 make the token too long to send in a URL.
  livekit::AvailabilityResponse answer;
  answer.set_participant_metadata(std::string(4000, '\x01'));
  acceptWith(answer);
  expectRefusedAndOfferedToB("job token would be");
}

TEST_F(AgentParticipantLimitTest, FieldsAtTheLimitAreAccepted) {
  livekit::AvailabilityResponse answer;
  answer.set_participant_identity(std::string(256, 'i'));
  answer.set_participant_name(std::string(256, 'n'));
  answer.set_participant_metadata(std::string(4096, 'm'));
  (*answer.mutable_participant_attributes())["a"] = std::string(4095, 'x');
  acceptWith(answer);
  ASSERT_EQ(a_.conn->assignments().size(), 1U);
  EXPECT_EQ(phase(jobId_), JobPhase::Running);
}

TEST_F(DispatcherTest, CreateDispatchRefusesOversizedMetadataAndAttributes) {
  startRoom("r");
  livekit::CreateAgentDispatchRequest req;
  req.set_room("r");
  req.set_agent_name("helper");
  req.set_metadata(std::string(64001, 'm'));
  auto created = dispatcher_.createDispatch(req);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, dispatcher::DispatchError::Code::InvalidArgument);
  EXPECT_TRUE(mentions(created.error().message, "metadata is 64001 bytes")) << created.error().message;

  req.set_metadata("ok");
  (*req.mutable_attributes())["big"] = std::string(64000, 'a');
  created = dispatcher_.createDispatch(req);
  ASSERT_FALSE(created.has_value());
  EXPECT_TRUE(mentions(created.error().message, "attributes")) << created.error().message;
  EXPECT_EQ(dispatcher_.listDispatches("r", "")->size(), 1U);  // only the automatic one
}

}  // namespace
}  // namespace convox::testing

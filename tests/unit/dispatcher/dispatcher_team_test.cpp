// Team-scoped jobs: a job created for a team (a /v1 call) is offered to
// platform workers and to that team's workers, never to another team's.

#include "dispatcher_fixture.hpp"

namespace convox::testing {
namespace {

using dispatcher::JobPhase;
using namespace std::chrono_literals;

class DispatcherTeamTest : public DispatcherTest {
 protected:
  // A call's dispatch for `team` in a new room; returns the job id.
  std::string callFor(const std::string& team, const std::string& roomName, const std::string& prompt) {
    startRoom(roomName, {automaticOnly()});
    livekit::CreateAgentDispatchRequest req;
    req.set_room(roomName);
    req.set_agent_name("support");
    req.set_metadata(prompt);
    auto created = dispatcher_.createDispatch(req, team);
    EXPECT_TRUE(created.has_value());
    for (const auto& job : dispatcher_.jobsInRoom(roomName)) {
      if (job.job.agent_name() == "support") return job.job.id();
    }
    ADD_FAILURE() << "no job for agent 'support' in " << roomName;
    return {};
  }

  // A room dispatch for a name no worker registers, so the room's own job stays out of the way.
  static livekit::RoomAgentDispatch automaticOnly() {
    livekit::RoomAgentDispatch d;
    d.set_agent_name("nobody");
    return d;
  }

  static std::vector<std::string> offeredMetadata(const FakeWorker& w) {
    std::vector<std::string> out;
    for (const auto& offer : w.conn->availabilityRequests()) out.push_back(offer.job().metadata());
    return out;
  }
};

TEST_F(DispatcherTeamTest, TeamJobIsNeverOfferedToAnotherTeamsWorker) {
  auto teamB = registerWorker("support", livekit::JT_ROOM, "team_b");
  const auto jobId = callFor("team_a", "call_a", "prompt of team A");
  EXPECT_TRUE(teamB.conn->availabilityRequests().empty());
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  EXPECT_EQ(dispatcher_.findJob(jobId)->teamId, "team_a");

  // Even when B's worker frees up again or more of B's workers come, the job waits for A.
  updateWorker(teamB, livekit::WS_AVAILABLE, 0.0F);
  auto teamB2 = registerWorker("support", livekit::JT_ROOM, "team_b");
  EXPECT_TRUE(teamB.conn->availabilityRequests().empty());
  EXPECT_TRUE(teamB2.conn->availabilityRequests().empty());

  auto teamA = registerWorker("support", livekit::JT_ROOM, "team_a");
  ASSERT_EQ(offeredMetadata(teamA), std::vector<std::string>{"prompt of team A"});
  answer(teamA, jobId, true);
  EXPECT_EQ(phase(jobId), JobPhase::Running);
  EXPECT_TRUE(teamB.conn->availabilityRequests().empty());
}

TEST_F(DispatcherTeamTest, PlatformWorkerIsOfferedEveryTeamsJobs) {
  auto platform = registerWorker("support");
  const auto a = callFor("team_a", "call_a", "prompt of team A");
  answer(platform, a, true);
  const auto b = callFor("team_b", "call_b", "prompt of team B");
  EXPECT_EQ(offeredMetadata(platform), (std::vector<std::string>{"prompt of team A", "prompt of team B"}));
  answer(platform, b, true);
  EXPECT_EQ(phase(a), JobPhase::Running);
  EXPECT_EQ(phase(b), JobPhase::Running);
}

TEST_F(DispatcherTeamTest, DeclinedByItsTeamTheJobDoesNotFallToAnotherTeam) {
  auto teamA = registerWorker("support", livekit::JT_ROOM, "team_a");
  auto teamB = registerWorker("support", livekit::JT_ROOM, "team_b");
  const auto jobId = callFor("team_a", "call_a", "prompt of team A");
  ASSERT_EQ(teamA.conn->availabilityRequests().size(), 1U);
  answer(teamA, jobId, false);
  clock_.advance(5s);
  dispatcher_.onTick();
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  EXPECT_TRUE(teamB.conn->availabilityRequests().empty());
  // A platform worker arriving later takes it.
  auto platform = registerWorker("support");
  EXPECT_EQ(offeredMetadata(platform), std::vector<std::string>{"prompt of team A"});
}

TEST_F(DispatcherTeamTest, JobsWithoutATeamGoOnlyToPlatformWorkers) {
  // LiveKit's own dispatch paths (automatic, room config, Twirp CreateDispatch) carry no team.
  auto team = registerWorker("", livekit::JT_ROOM, "team_a");
  startRoom("r");
  const auto jobId = onlyJob("r");
  EXPECT_TRUE(team.conn->availabilityRequests().empty());
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  auto platform = registerWorker();
  EXPECT_EQ(platform.conn->availabilityRequests().size(), 1U);
}

TEST_F(DispatcherTeamTest, AWorkerLostMidJobIsReplacedOnlyWithinTheTeam) {
  auto teamA = registerWorker("support", livekit::JT_ROOM, "team_a");
  const auto jobId = callFor("team_a", "call_a", "prompt of team A");
  answer(teamA, jobId, true);
  auto teamB = registerWorker("support", livekit::JT_ROOM, "team_b");
  dispatcher_.onWorkerClosed(teamA.id);  // the agent never joined: dispatched again
  EXPECT_EQ(phase(jobId), JobPhase::Waiting);
  EXPECT_TRUE(teamB.conn->availabilityRequests().empty());
  // The job kept its team: team A's next worker is offered it, B's still not.
  auto teamA2 = registerWorker("support", livekit::JT_ROOM, "team_a");
  const auto offers = teamA2.conn->availabilityRequests();
  ASSERT_EQ(offers.size(), 1U);
  EXPECT_EQ(offers[0].job().id(), jobId);
  EXPECT_TRUE(teamB.conn->availabilityRequests().empty());
}

TEST_F(DispatcherTeamTest, ATeamWorkerCannotSimulateJobs) {
  // simulate_job names its room: a team worker could mint itself a join token
  // for another team's call room.
  auto teamWorker = registerWorker("support", livekit::JT_ROOM, "team_b");
  livekit::WorkerMessage msg;
  msg.mutable_simulate_job()->mutable_room()->set_name("call_of_team_a");
  send(teamWorker, msg);
  EXPECT_TRUE(teamWorker.conn->availabilityRequests().empty());
  EXPECT_TRUE(dispatcher_.jobsInRoom("call_of_team_a").empty());
}

}  // namespace
}  // namespace convox::testing

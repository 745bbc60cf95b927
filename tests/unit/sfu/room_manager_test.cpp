#include "sfu/room_manager.hpp"
#include "recording_signal_sink.hpp"

#include <gtest/gtest.h>

using namespace convox;
using convox::testing::RecordingSignalSink;

namespace {

class RecordingListener : public sfu::RoomEventListener {
 public:
  void onRoomStarted(const livekit::Room& r) override { events.push_back("room_started " + r.name()); }
  void onRoomFinished(const livekit::Room& r, livekit::RoomEndReason) override {
    events.push_back("room_finished " + r.name());
  }
  void onParticipantJoined(const livekit::Room&, const livekit::ParticipantInfo& p) override {
    events.push_back("joined " + p.identity());
  }
  void onParticipantLeft(const livekit::Room&, const livekit::ParticipantInfo& p) override {
    events.push_back("left " + p.identity());
  }
  std::vector<std::string> events;
};

common::ClaimGrants grantsFor(const std::string& room, const std::string& identity) {
  common::ClaimGrants g;
  g.identity = identity;
  g.video = common::VideoGrant{};
  g.video->roomJoin = true;
  g.video->room = room;
  return g;
}

class RoomManagerTest : public ::testing::Test {
 protected:
  RoomManagerTest() : rooms_(io_, defaults(), registry_) { rooms_.addListener(&listener_); }

  static common::RoomDefaults defaults() {
    common::RoomDefaults d;
    d.departureTimeoutSeconds = 0;  // close as soon as the loop runs
    return d;
  }

  std::pair<std::shared_ptr<sfu::Participant>, std::shared_ptr<RecordingSignalSink>> join(
      const common::ClaimGrants& g) {
    auto sink = std::make_shared<RecordingSignalSink>();
    auto result = rooms_.join(g, sink);
    auto* joined = std::get_if<sfu::RoomManager::Joined>(&result);
    EXPECT_NE(joined, nullptr);
    return {joined ? joined->participant : nullptr, sink};
  }

  boost::asio::io_context io_;
  prometheus::Registry registry_;
  RecordingListener listener_;
  sfu::RoomManager rooms_;
};

}  // namespace

TEST_F(RoomManagerTest, JoinAnnouncesToOthersAndLeaveToo) {
  auto [alice, aliceSink] = join(grantsFor("r", "alice"));
  auto [bob, bobSink] = join(grantsFor("r", "bob"));
  auto updates = aliceSink->of(livekit::SignalResponse::kUpdate);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().participants(0).identity(), "bob");
  EXPECT_TRUE(bobSink->of(livekit::SignalResponse::kUpdate).empty()) << "bob learns of alice from his JoinResponse";

  rooms_.leave(bob, livekit::CLIENT_INITIATED);
  updates = aliceSink->of(livekit::SignalResponse::kUpdate);
  ASSERT_EQ(updates.size(), 2u);
  const auto& left = updates[1].update().participants(0);
  EXPECT_EQ(left.state(), livekit::ParticipantInfo::DISCONNECTED);
  EXPECT_EQ(left.disconnect_reason(), livekit::CLIENT_INITIATED);
  EXPECT_GT(left.version(), updates[0].update().participants(0).version());
  EXPECT_EQ(listener_.events, (std::vector<std::string>{"room_started r", "joined alice", "joined bob", "left bob"}));
}

TEST_F(RoomManagerTest, EmptyRoomClosesAfterDepartureTimeout) {
  auto [alice, sink] = join(grantsFor("r", "alice"));
  rooms_.leave(alice, livekit::CLIENT_INITIATED);
  EXPECT_EQ(rooms_.roomCount(), 1u);
  io_.poll();
  EXPECT_EQ(rooms_.roomCount(), 0u);
  EXPECT_EQ(listener_.events.back(), "room_finished r");
}

TEST_F(RoomManagerTest, RejoiningBeforeTheTimerRunsKeepsTheRoom) {
  auto [alice, sink] = join(grantsFor("r", "alice"));
  rooms_.leave(alice, livekit::CLIENT_INITIATED);
  join(grantsFor("r", "alice2"));
  io_.poll();
  EXPECT_EQ(rooms_.roomCount(), 1u);
}

TEST_F(RoomManagerTest, DuplicateIdentityReplacesTheOldSession) {
  auto [first, firstSink] = join(grantsFor("r", "twin"));
  const auto firstSid = rooms_.getParticipant("r", "twin")->sid();
  auto [second, secondSink] = join(grantsFor("r", "twin"));
  auto leaves = firstSink->of(livekit::SignalResponse::kLeave);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0].leave().reason(), livekit::DUPLICATE_IDENTITY);
  EXPECT_TRUE(firstSink->closed);
  auto list = rooms_.listParticipants("r");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE((*list)[0].sid(), firstSid);
}

TEST_F(RoomManagerTest, MaxParticipantsRefusesTheNextJoin) {
  livekit::CreateRoomRequest req;
  req.set_name("small");
  req.set_max_participants(1);
  rooms_.createRoom(req);
  join(grantsFor("small", "a"));
  auto refused = rooms_.admit(grantsFor("small", "b"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->httpStatus, 503u);
  EXPECT_FALSE(rooms_.admit(grantsFor("small", "a"))) << "the same identity may always rejoin";
}

TEST_F(RoomManagerTest, TokenRoomConfigAppliesWhenTheJoinCreatesTheRoom) {
  auto g = grantsFor("configured", "a");
  g.roomConfigJson = R"({"maxParticipants":2,"emptyTimeout":11,"metadata":"from-token"})";
  join(g);
  auto rooms = rooms_.listRooms({"configured"});
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].max_participants(), 2u);
  EXPECT_EQ(rooms[0].empty_timeout(), 11u);
  EXPECT_EQ(rooms[0].metadata(), "from-token");
}

TEST_F(RoomManagerTest, OwnMetadataNeedsTheGrantAndIsEchoedToAll) {
  auto [plain, plainSink] = join(grantsFor("r", "plain"));
  livekit::UpdateParticipantMetadata req;
  req.set_metadata("x");
  EXPECT_FALSE(rooms_.updateOwnMetadata(plain, req));

  auto g = grantsFor("r", "editor");
  g.video->canUpdateOwnMetadata = true;
  auto [editor, editorSink] = join(g);
  EXPECT_TRUE(rooms_.updateOwnMetadata(editor, req));
  auto echoed = editorSink->of(livekit::SignalResponse::kUpdate);
  ASSERT_FALSE(echoed.empty());
  EXPECT_EQ(echoed.back().update().participants(0).metadata(), "x");
  EXPECT_EQ(plainSink->of(livekit::SignalResponse::kUpdate).back().update().participants(0).metadata(), "x");
}

TEST_F(RoomManagerTest, HiddenParticipantsAreNotAnnounced) {
  auto [watcher, watcherSink] = join(grantsFor("r", "watcher"));
  auto g = grantsFor("r", "ghost");
  g.video->hidden = true;
  join(g);
  EXPECT_TRUE(watcherSink->of(livekit::SignalResponse::kUpdate).empty());
}

TEST_F(RoomManagerTest, DeleteRoomSendsLeavesAndFinishes) {
  auto [a, sink] = join(grantsFor("r", "a"));
  EXPECT_TRUE(rooms_.deleteRoom("r"));
  auto leaves = sink->of(livekit::SignalResponse::kLeave);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0].leave().reason(), livekit::ROOM_DELETED);
  EXPECT_EQ(listener_.events.back(), "room_finished r");
  EXPECT_FALSE(rooms_.deleteRoom("r"));
}

TEST_F(RoomManagerTest, RoomCreatedButNeverJoinedClosesAfterEmptyTimeout) {
  livekit::CreateRoomRequest req;
  req.set_name("idle");
  req.set_empty_timeout(1);
  rooms_.createRoom(req);
  io_.run_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(rooms_.roomCount(), 0u);
}

#include "sfu/room_manager.hpp"
#include "participant.hpp"
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
  void onTrackPublished(const livekit::Room&, const livekit::ParticipantInfo& p, const livekit::TrackInfo& t) override {
    events.push_back("track_published " + p.identity() + " " + t.sid());
  }
  void onTrackUnpublished(const livekit::Room&, const livekit::ParticipantInfo& p,
                          const livekit::TrackInfo& t) override {
    events.push_back("track_unpublished " + p.identity() + " " + t.sid());
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
  auto refused = rooms_.updateOwnMetadata(plain, req);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, sfu::RoomManager::UpdateRefusal::Reason::NotAllowed);

  auto g = grantsFor("r", "editor");
  g.video->canUpdateOwnMetadata = true;
  auto [editor, editorSink] = join(g);
  EXPECT_FALSE(rooms_.updateOwnMetadata(editor, req).has_value());
  auto echoed = editorSink->of(livekit::SignalResponse::kUpdate);
  ASSERT_FALSE(echoed.empty());
  EXPECT_EQ(echoed.back().update().participants(0).metadata(), "x");
  EXPECT_EQ(plainSink->of(livekit::SignalResponse::kUpdate).back().update().participants(0).metadata(), "x");
}

TEST_F(RoomManagerTest, OwnUpdatesOverLiveKitsLimitsAreRefusedAndNotFannedOut) {
  auto [watcher, watcherSink] = join(grantsFor("r", "watcher"));
  auto g = grantsFor("r", "editor");
  g.video->canUpdateOwnMetadata = true;
  auto [editor, editorSink] = join(g);
  const auto updatesBefore = watcherSink->of(livekit::SignalResponse::kUpdate).size();
  using Reason = sfu::RoomManager::UpdateRefusal::Reason;

  livekit::UpdateParticipantMetadata req;
  req.set_metadata(std::string(64001, 'm'));  // LiveKit's default limit is 64000 bytes
  auto refused = rooms_.updateOwnMetadata(editor, req);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, Reason::LimitExceeded);
  EXPECT_NE(refused->message.find("exceeds metadata size limit"), std::string::npos) << refused->message;

  req.set_metadata(std::string(64000, 'm'));  // exactly the limit is fine
  EXPECT_FALSE(rooms_.updateOwnMetadata(editor, req).has_value());

  livekit::UpdateParticipantMetadata name;
  name.set_name(std::string(256, 'n'));  // the limit itself is fine
  EXPECT_FALSE(rooms_.updateOwnMetadata(editor, name).has_value());
  name.set_name(std::string(257, 'o'));
  refused = rooms_.updateOwnMetadata(editor, name);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->message.find("exceeds name length limit"), std::string::npos) << refused->message;

  // Attributes count keys and values once merged: small updates cannot add up past the limit.
  livekit::UpdateParticipantMetadata a;
  (*a.mutable_attributes())["a"] = std::string(40000, 'x');
  EXPECT_FALSE(rooms_.updateOwnMetadata(editor, a).has_value());
  livekit::UpdateParticipantMetadata b;
  (*b.mutable_attributes())["b"] = std::string(30000, 'x');
  refused = rooms_.updateOwnMetadata(editor, b);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->message.find("exceeds attributes size limit"), std::string::npos) << refused->message;
  // Deleting "a" in the same update makes room for "b".
  (*b.mutable_attributes())["a"] = "";
  EXPECT_FALSE(rooms_.updateOwnMetadata(editor, b).has_value());

  // Only the accepted updates reached the room; the stored state has no oversized value.
  EXPECT_EQ(watcherSink->of(livekit::SignalResponse::kUpdate).size(), updatesBefore + 4);
  auto info = rooms_.getParticipant("r", "editor");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().size(), 64000U);
  EXPECT_EQ(info->name(), std::string(256, 'n'));  // the accepted name, not the refused one
  EXPECT_FALSE(info->attributes().contains("a"));
  EXPECT_EQ(info->attributes().at("b").size(), 30000U);
}

TEST_F(RoomManagerTest, RoomServiceUpdateParticipantHasTheSameLimits) {
  auto [editor, editorSink] = join(grantsFor("r", "editor"));
  livekit::UpdateParticipantRequest req;
  req.set_room("r");
  req.set_identity("editor");
  (*req.mutable_attributes())["k"] = std::string(64000, 'v');  // 1 + 64000 bytes
  auto result = rooms_.updateParticipant(req);
  auto* refused = std::get_if<sfu::RoomManager::UpdateRefusal>(&result);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->reason, sfu::RoomManager::UpdateRefusal::Reason::LimitExceeded);
  EXPECT_NE(refused->message.find("exceeds attributes size limit (64001 bytes, at most 64000)"), std::string::npos)
      << refused->message;
  EXPECT_TRUE(rooms_.getParticipant("r", "editor")->attributes().empty());

  req.clear_attributes();
  req.set_metadata("fine");
  EXPECT_TRUE(std::holds_alternative<livekit::ParticipantInfo>(rooms_.updateParticipant(req)));
  req.set_identity("nobody");
  result = rooms_.updateParticipant(req);
  ASSERT_TRUE(std::holds_alternative<sfu::RoomManager::UpdateRefusal>(result));
  EXPECT_EQ(std::get<sfu::RoomManager::UpdateRefusal>(result).reason,
            sfu::RoomManager::UpdateRefusal::Reason::NotFound);
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

namespace {

livekit::AddTrackRequest audioRequest(const std::string& cid) {
  livekit::AddTrackRequest r;
  r.set_cid(cid);
  r.set_name("mic");
  r.set_type(livekit::AUDIO);
  r.set_source(livekit::MICROPHONE);
  return r;
}

const livekit::TrackInfo* published(const livekit::ParticipantInfo& info, const std::string& sid) {
  for (const auto& t : info.tracks()) {
    if (t.sid() == sid) return &t;
  }
  return nullptr;
}

bool has(const std::vector<std::string>& events, const std::string& event) {
  return std::find(events.begin(), events.end(), event) != events.end();
}

}  // namespace

TEST_F(RoomManagerTest, AddTrackAnswersWithATrackSidAndTheCodec) {
  auto [alice, sink] = join(grantsFor("r", "alice"));
  auto result = rooms_.addTrack(alice, audioRequest("mic-1"));
  auto* track = std::get_if<livekit::TrackInfo>(&result);
  ASSERT_NE(track, nullptr);
  EXPECT_EQ(track->sid().rfind("TR_", 0), 0u);
  EXPECT_EQ(track->mime_type(), "audio/opus");
  EXPECT_EQ(track->source(), livekit::MICROPHONE);
  // A resend of the same request gets the same track, not a second one.
  auto again = rooms_.addTrack(alice, audioRequest("mic-1"));
  EXPECT_EQ(std::get<livekit::TrackInfo>(again).sid(), track->sid());
  // Not published until its section is negotiated.
  EXPECT_EQ(alice->info().tracks_size(), 0);

  livekit::AddTrackRequest video;
  video.set_cid("cam-1");
  video.set_type(livekit::VIDEO);
  video.add_simulcast_codecs()->set_codec("h264");
  EXPECT_EQ(std::get<livekit::TrackInfo>(rooms_.addTrack(alice, video)).mime_type(), "video/H264");
}

TEST_F(RoomManagerTest, AddTrackIsRefusedWithAReasonWhenNotAllowed) {
  auto g = grantsFor("r", "viewer");
  g.video->canPublish = false;
  auto [viewer, sink] = join(g);
  auto refused = rooms_.addTrack(viewer, audioRequest("mic"));
  ASSERT_TRUE(std::holds_alternative<std::string>(refused));
  EXPECT_NE(std::get<std::string>(refused).find("canPublish"), std::string::npos);

  auto cameraOnly = grantsFor("r", "cam");
  cameraOnly.video->canPublishSources = {"camera"};
  auto [cam, camSink] = join(cameraOnly);
  auto wrongSource = rooms_.addTrack(cam, audioRequest("mic"));
  ASSERT_TRUE(std::holds_alternative<std::string>(wrongSource));
  EXPECT_NE(std::get<std::string>(wrongSource).find("MICROPHONE"), std::string::npos);

  auto [alice, aliceSink] = join(grantsFor("r", "alice"));
  livekit::AddTrackRequest data = audioRequest("d");
  data.set_type(livekit::DATA);
  EXPECT_TRUE(std::holds_alternative<std::string>(rooms_.addTrack(alice, data)));
  EXPECT_TRUE(std::holds_alternative<std::string>(rooms_.addTrack(alice, audioRequest(""))));
}

TEST_F(RoomManagerTest, TracksPerParticipantAreLimited) {
  auto [alice, sink] = join(grantsFor("r", "alice"));
  int accepted = 0;
  std::string lastRefusal;
  for (int i = 0; i < 40; ++i) {
    auto r = rooms_.addTrack(alice, audioRequest("mic-" + std::to_string(i)));
    if (std::holds_alternative<livekit::TrackInfo>(r)) {
      ++accepted;
    } else {
      lastRefusal = std::get<std::string>(r);
    }
  }
  EXPECT_EQ(accepted, 32);
  EXPECT_NE(lastRefusal.find("32 tracks"), std::string::npos);
}

TEST_F(RoomManagerTest, PublishedTrackIsAnnouncedBeforeOthersSubscribe) {
  auto [alice, aliceSink] = join(grantsFor("r", "alice"));
  auto [bob, bobSink] = join(grantsFor("r", "bob"));
  auto [carol, carolSink] = join(grantsFor("r", "carol"));
  carol->setAutoSubscribe(false);
  const auto sid = std::get<livekit::TrackInfo>(rooms_.addTrack(alice, audioRequest("mic"))).sid();
  bobSink->sent.clear();
  rooms_.trackPublished(alice, "mic", "1");

  // Bob got alice's update with the track (mid set), then was subscribed.
  auto updates = bobSink->of(livekit::SignalResponse::kUpdate);
  ASSERT_FALSE(updates.empty());
  const auto& info = updates.back().update().participants(0);
  ASSERT_NE(published(info, sid), nullptr);
  EXPECT_EQ(published(info, sid)->mid(), "1");
  EXPECT_TRUE(info.is_publisher());
  EXPECT_EQ(bobSink->subscribed, std::vector<std::string>{alice->sid() + "/" + sid});
  EXPECT_TRUE(carolSink->subscribed.empty()) << "auto_subscribe=0";
  EXPECT_TRUE(aliceSink->subscribed.empty()) << "never to one's own track";
  EXPECT_TRUE(has(listener_.events, "track_published alice " + sid));
  // Alice hears of her track's first subscriber, once.
  const auto subscribedTold = aliceSink->of(livekit::SignalResponse::kTrackSubscribed);
  ASSERT_EQ(subscribedTold.size(), 1u);
  EXPECT_EQ(subscribedTold[0].track_subscribed().track_sid(), sid);

  // A newcomer is subscribed to what is already there.
  auto [dave, daveSink] = join(grantsFor("r", "dave"));
  rooms_.subscribeToExisting(dave);
  EXPECT_EQ(daveSink->subscribed, std::vector<std::string>{alice->sid() + "/" + sid});
  EXPECT_EQ(aliceSink->of(livekit::SignalResponse::kTrackSubscribed).size(), 1u);

  // Explicit (un)subscription.
  livekit::UpdateSubscription sub;
  sub.add_track_sids(sid);
  sub.set_subscribe(true);
  rooms_.updateSubscription(carol, sub);
  EXPECT_EQ(carolSink->subscribed, std::vector<std::string>{alice->sid() + "/" + sid});
  sub.set_subscribe(false);
  rooms_.updateSubscription(carol, sub);
  EXPECT_EQ(carolSink->unsubscribed, std::vector<std::string>{sid});
}

TEST_F(RoomManagerTest, MuteAndUnpublishAreBroadcast) {
  auto [alice, aliceSink] = join(grantsFor("r", "alice"));
  auto [bob, bobSink] = join(grantsFor("r", "bob"));
  const auto sid = std::get<livekit::TrackInfo>(rooms_.addTrack(alice, audioRequest("mic"))).sid();
  rooms_.trackPublished(alice, "mic", "1");

  EXPECT_TRUE(rooms_.setTrackMuted(alice, sid, true));
  auto last = bobSink->of(livekit::SignalResponse::kUpdate).back().update().participants(0);
  ASSERT_NE(published(last, sid), nullptr);
  EXPECT_TRUE(published(last, sid)->muted());
  EXPECT_FALSE(rooms_.setTrackMuted(alice, "TR_nope", true));
  EXPECT_FALSE(rooms_.setTrackMuted(bob, sid, true)) << "only the publisher mutes its track";

  rooms_.trackUnpublished(alice, sid);
  last = bobSink->of(livekit::SignalResponse::kUpdate).back().update().participants(0);
  EXPECT_EQ(published(last, sid), nullptr);
  EXPECT_TRUE(has(listener_.events, "track_unpublished alice " + sid));
}

TEST_F(RoomManagerTest, MutePublishedTrackTellsThePublisherAndTheRoom) {
  auto [alice, aliceSink] = join(grantsFor("r", "alice"));
  auto [bob, bobSink] = join(grantsFor("r", "bob"));
  const auto sid = std::get<livekit::TrackInfo>(rooms_.addTrack(alice, audioRequest("mic"))).sid();
  rooms_.trackPublished(alice, "mic", "1");

  livekit::MuteRoomTrackRequest request;
  request.set_room("r");
  request.set_identity("alice");
  request.set_track_sid(sid);
  request.set_muted(true);
  const auto muted = rooms_.mutePublishedTrack(request);
  ASSERT_TRUE(std::holds_alternative<livekit::TrackInfo>(muted));
  EXPECT_TRUE(std::get<livekit::TrackInfo>(muted).muted());
  const auto told = aliceSink->of(livekit::SignalResponse::kMute);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].mute().sid(), sid);
  EXPECT_TRUE(told[0].mute().muted());
  // Forwarding stops at once, before the SDK confirms.
  EXPECT_EQ(aliceSink->mediaMuted, std::vector<std::string>{"muted " + sid});
  const auto last = bobSink->of(livekit::SignalResponse::kUpdate).back().update().participants(0);
  ASSERT_NE(published(last, sid), nullptr);
  EXPECT_TRUE(published(last, sid)->muted());

  // Unmuting someone else's microphone needs room.enable_remote_unmute.
  request.set_muted(false);
  const auto unmute = rooms_.mutePublishedTrack(request);
  ASSERT_TRUE(std::holds_alternative<convox::sfu::RoomManager::MuteRefusal>(unmute));
  EXPECT_FALSE(std::get<convox::sfu::RoomManager::MuteRefusal>(unmute).notFound);
  EXPECT_EQ(aliceSink->of(livekit::SignalResponse::kMute).size(), 1u);
  EXPECT_EQ(aliceSink->mediaMuted.size(), 1u);

  request.set_track_sid("TR_nope");
  request.set_muted(true);
  const auto missing = rooms_.mutePublishedTrack(request);
  ASSERT_TRUE(std::holds_alternative<convox::sfu::RoomManager::MuteRefusal>(missing));
  EXPECT_TRUE(std::get<convox::sfu::RoomManager::MuteRefusal>(missing).notFound);
  request.set_identity("carol");
  EXPECT_TRUE(std::get<convox::sfu::RoomManager::MuteRefusal>(rooms_.mutePublishedTrack(request)).notFound);
}

TEST_F(RoomManagerTest, LeavingUnpublishesTracksForWebhooks) {
  auto [alice, aliceSink] = join(grantsFor("r", "alice"));
  const auto sid = std::get<livekit::TrackInfo>(rooms_.addTrack(alice, audioRequest("mic"))).sid();
  rooms_.trackPublished(alice, "mic", "1");
  rooms_.leave(alice, livekit::CLIENT_INITIATED);
  const auto& ev = listener_.events;
  const auto unpublished = std::find(ev.begin(), ev.end(), "track_unpublished alice " + sid);
  const auto left = std::find(ev.begin(), ev.end(), std::string("left alice"));
  ASSERT_NE(unpublished, ev.end());
  ASSERT_NE(left, ev.end());
  EXPECT_LT(unpublished, left) << "track_unpublished comes before participant_left";
}

TEST_F(RoomManagerTest, SubscriptionPermissionsDecideWhoGetsAPublishersTracks) {
  auto [alice, aliceSink] = join(grantsFor("r", "alice"));
  auto [bob, bobSink] = join(grantsFor("r", "bob"));
  auto [carol, carolSink] = join(grantsFor("r", "carol"));
  const auto mic = std::get<livekit::TrackInfo>(rooms_.addTrack(alice, audioRequest("mic"))).sid();
  rooms_.trackPublished(alice, "mic", "1");
  ASSERT_EQ(carolSink->subscribed.size(), 1u);  // everyone may, until alice says otherwise
  auto permissionUpdates = [](const RecordingSignalSink& sink) {
    std::vector<std::string> out;
    for (const auto& m : sink.of(livekit::SignalResponse::kSubscriptionPermissionUpdate)) {
      const auto& u = m.subscription_permission_update();
      out.push_back(u.participant_sid() + " " + u.track_sid() + (u.allowed() ? " allowed" : " refused"));
    }
    return out;
  };

  // Only bob (by identity) from now on: carol loses the track and is told.
  livekit::SubscriptionPermission onlyBob;
  onlyBob.set_all_participants(false);
  auto* forBob = onlyBob.add_track_permissions();
  forBob->set_participant_identity("bob");
  forBob->set_all_tracks(true);
  rooms_.updateSubscriptionPermission(alice, onlyBob);
  EXPECT_EQ(carolSink->unsubscribed, std::vector<std::string>{mic});
  EXPECT_EQ(permissionUpdates(*carolSink), std::vector<std::string>{alice->sid() + " " + mic + " refused"});
  EXPECT_TRUE(bobSink->unsubscribed.empty());
  EXPECT_TRUE(permissionUpdates(*bobSink).empty());

  // A new track: bob gets it, carol is refused once; asking again changes nothing.
  const auto cam = std::get<livekit::TrackInfo>(rooms_.addTrack(alice, audioRequest("cam"))).sid();
  rooms_.trackPublished(alice, "cam", "2");
  EXPECT_EQ(bobSink->subscribed.back(), alice->sid() + "/" + cam);
  EXPECT_EQ(carolSink->subscribed.size(), 1u);
  livekit::UpdateSubscription again;
  again.add_track_sids(cam);
  again.set_subscribe(true);
  rooms_.updateSubscription(carol, again);
  EXPECT_EQ(carolSink->subscribed.size(), 1u);
  EXPECT_EQ(permissionUpdates(*carolSink).size(), 2u);

  // Carol's own sid may have the microphone only.
  livekit::SubscriptionPermission carolMic = onlyBob;
  auto* forCarol = carolMic.add_track_permissions();
  forCarol->set_participant_sid(carol->sid());
  forCarol->add_track_sids(mic);
  rooms_.updateSubscriptionPermission(alice, carolMic);
  EXPECT_EQ(carolSink->subscribed.back(), alice->sid() + "/" + mic);
  EXPECT_EQ(permissionUpdates(*carolSink).back(), alice->sid() + " " + mic + " allowed");
  EXPECT_EQ(carolSink->subscribed.size(), 2u);  // not the camera

  // Everyone again: carol gets the camera she asked for.
  livekit::SubscriptionPermission everyone;
  everyone.set_all_participants(true);
  rooms_.updateSubscriptionPermission(alice, everyone);
  EXPECT_EQ(carolSink->subscribed.back(), alice->sid() + "/" + cam);
  EXPECT_EQ(permissionUpdates(*carolSink).back(), alice->sid() + " " + cam + " allowed");
  EXPECT_EQ(bobSink->subscribed.size(), 2u);  // nothing changed for bob
}

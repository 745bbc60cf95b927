#pragma once

// Room events out as LiveKit webhooks: POST application/webhook+json with a
// JWT (iss = API key, sha256 = base64 SHA-256 of the body) in Authorization.
// Delivery runs on its own thread with per-URL ordering and exponential
// backoff, so the signalling thread never waits on a receiver.

#include "common/config.hpp"
#include "sfu/room_events.hpp"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace convox::sfu {

class WebhookNotifier final : public RoomEventListener {
 public:
  WebhookNotifier(common::WebhookSettings settings, std::string apiSecret, prometheus::Registry& metrics);
  ~WebhookNotifier() override;

  void onRoomStarted(const livekit::Room& room) override;
  void onRoomFinished(const livekit::Room& room, livekit::RoomEndReason reason) override;
  void onParticipantJoined(const livekit::Room& room, const livekit::ParticipantInfo& p) override;
  void onParticipantLeft(const livekit::Room& room, const livekit::ParticipantInfo& p) override;
  void onTrackPublished(const livekit::Room& room, const livekit::ParticipantInfo& p,
                        const livekit::TrackInfo& track) override;
  void onTrackUnpublished(const livekit::Room& room, const livekit::ParticipantInfo& p,
                          const livekit::TrackInfo& track) override;

 private:
  class Sender;
  void publish(const std::string& event, const livekit::Room& room, const livekit::ParticipantInfo* participant,
               livekit::RoomEndReason reason = livekit::ROOM_END_UNKNOWN, const livekit::TrackInfo* track = nullptr);

  std::unique_ptr<Sender> sender_;
};

}  // namespace convox::sfu

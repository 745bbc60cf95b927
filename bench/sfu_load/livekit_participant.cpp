#include "livekit_participant.hpp"

#include "common/access_token.hpp"
#include "common/ids.hpp"

#include <chrono>

namespace convox::bench {

namespace {
constexpr int64_t kTokenTtlSeconds = 6 * 3600;
}  // namespace

int64_t steadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LivekitParticipant::LivekitParticipant(LoadContext& context, std::string room, std::string identity)
    : LoadPeer(std::move(identity)), context_(context), roomName_(std::move(room)) {}

LivekitParticipant::~LivekitParticipant() = default;

void LivekitParticipant::join() {
  common::ClaimGrants grants;
  grants.identity = identity();
  grants.name = identity();
  common::VideoGrant video;
  video.room = roomName_;
  video.roomJoin = true;
  grants.video = video;
  client::RoomOptions options;
  options.url = context_.url;
  options.token =
      common::signAccessToken(grants, context_.apiKey, context_.apiSecret, common::unixSeconds(), kTokenTtlSeconds);
  options.signal.autoSubscribe = autoSubscribe();
  options.iceAddresses = {context_.iceAddress};
  options.certificate = context_.certificate;
  options.dataChannels = false;
  room_ = std::make_unique<client::Room>(*context_.loop, *context_.io, *this, std::move(options));
  std::string error;
  if (!room_->connect(error)) fail(error);
}

void LivekitParticipant::leave() {
  if (left_) return;
  left_ = true;
  if (room_) room_->disconnect();
}

void LivekitParticipant::onDisconnected(const std::string& reason) {
  if (!left_) fail(reason);
}

}  // namespace convox::bench

#include "participant.hpp"

#include "common/http_server.hpp"

namespace convox::sfu {

namespace {

livekit::ParticipantInfo::Kind kindFromClaim(const std::string& kind) {
  static const std::map<std::string, livekit::ParticipantInfo::Kind, std::less<>> kKinds{
      {"standard", livekit::ParticipantInfo::STANDARD}, {"ingress", livekit::ParticipantInfo::INGRESS},
      {"egress", livekit::ParticipantInfo::EGRESS},     {"sip", livekit::ParticipantInfo::SIP},
      {"agent", livekit::ParticipantInfo::AGENT},       {"connector", livekit::ParticipantInfo::CONNECTOR},
      {"bridge", livekit::ParticipantInfo::BRIDGE},
  };
  auto it = kKinds.find(kind);
  return it == kKinds.end() ? livekit::ParticipantInfo::STANDARD : it->second;
}

livekit::TrackSource sourceFromName(const std::string& name) {
  if (name == "camera") return livekit::CAMERA;
  if (name == "microphone") return livekit::MICROPHONE;
  if (name == "screen_share") return livekit::SCREEN_SHARE;
  if (name == "screen_share_audio") return livekit::SCREEN_SHARE_AUDIO;
  return livekit::UNKNOWN;
}

}  // namespace

livekit::ParticipantPermission permissionFromGrants(const common::ClaimGrants& grants) {
  livekit::ParticipantPermission p;
  if (!grants.video) return p;
  const auto& v = *grants.video;
  p.set_can_publish(v.effectiveCanPublish());
  p.set_can_subscribe(v.effectiveCanSubscribe());
  p.set_can_publish_data(v.effectiveCanPublishData());
  p.set_can_update_metadata(v.effectiveCanUpdateOwnMetadata());
  p.set_hidden(v.hidden);
  p.set_recorder(v.recorder);
  p.set_agent(v.agent);
  p.set_can_subscribe_metrics(v.canSubscribeMetrics);
  p.set_can_manage_agent_session(v.canManageAgentSession);
  for (const auto& s : v.canPublishSources) {
    if (auto src = sourceFromName(s); src != livekit::UNKNOWN) p.add_can_publish_sources(src);
  }
  return p;
}

Participant::Participant(std::string sid, const common::ClaimGrants& grants, std::shared_ptr<SignalSink> sink,
                         int64_t nowMillis)
    : grants_(grants), sink_(std::move(sink)) {
  info_.set_sid(std::move(sid));
  info_.set_identity(grants.identity);
  info_.set_name(grants.name);
  info_.set_metadata(grants.metadata);
  info_.set_state(livekit::ParticipantInfo::JOINED);
  info_.set_joined_at(nowMillis / 1000);
  info_.set_joined_at_ms(nowMillis);
  info_.set_version(1);
  info_.set_kind(kindFromClaim(grants.kind));
  *info_.mutable_permission() = permissionFromGrants(grants);
  for (const auto& [k, v] : grants.attributes) (*info_.mutable_attributes())[k] = v;
}

bool Participant::allowsSubscriber(const Participant& subscriber, const std::string& trackSid) const {
  if (!subscriptionPermission_ || subscriptionPermission_->all_participants()) return true;
  for (const auto& p : subscriptionPermission_->track_permissions()) {
    const bool matches = (!p.participant_sid().empty() && p.participant_sid() == subscriber.sid()) ||
                         (!p.participant_identity().empty() && p.participant_identity() == subscriber.identity());
    if (!matches) continue;
    if (p.all_tracks()) return true;
    for (const auto& sid : p.track_sids()) {
      if (sid == trackSid) return true;
    }
  }
  return false;
}

void Participant::send(const livekit::SignalResponse& message) {
  if (sink_) sink_->send(message);
}

void Participant::disconnect(livekit::DisconnectReason reason, livekit::LeaveRequest::Action action) {
  if (!sink_) return;
  livekit::SignalResponse leave;
  leave.mutable_leave()->set_reason(reason);
  leave.mutable_leave()->set_action(action);
  sink_->send(leave);
  sink_->close(common::close_code::kNormal, livekit::DisconnectReason_Name(reason));
  sink_.reset();
}

const livekit::TrackInfo* Participant::findTrack(std::string_view sid) const {
  for (const auto& t : info_.tracks()) {
    if (t.sid() == sid) return &t;
  }
  return nullptr;
}

}  // namespace convox::sfu

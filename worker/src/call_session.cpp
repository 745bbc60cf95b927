#include "call_session.hpp"

#include "common/logging.hpp"
#include "media_thread.hpp"

namespace convox::worker {

CallSession::CallSession(MediaThread& thread, CallSetup setup, EndedHandler ended)
    : thread_(thread), setup_(std::move(setup)), ended_(std::move(ended)) {
  if (!setup_.metadata.conversationId.empty() && !setup_.controlApiUrl.empty()) {
    api_ = std::make_unique<ControlApiClient>(thread_.io(), setup_.controlApiUrl, setup_.token,
                                              setup_.metadata.conversationId);
  }
}

CallSession::~CallSession() {
  finished_ = true;
  room_.reset();
}

void CallSession::start() {
  client::RoomOptions options;
  options.url = setup_.url;
  options.token = setup_.token;
  options.signal.autoSubscribe = true;
  options.signal.sdk = "convox-worker";
  if (!setup_.iceAddress.empty()) options.iceAddresses = {setup_.iceAddress};
  room_ = std::make_unique<client::Room>(thread_.loop(), thread_.io(), *this, std::move(options));
  std::string error;
  if (!room_->connect(error)) end(true, "cannot join: " + error, "join_failed");
}

void CallSession::stop(const std::string& reason) {
  if (finished_) return;
  if (room_) room_->disconnect();
  end(false, reason, "agent_terminated");
}

void CallSession::onJoined(const livekit::JoinResponse& join) {
  common::logger("worker")->info("job {}: joined room {} as {}", jobId(), join.room().name(),
                                 join.participant().identity());
  setState("initializing");
  client::AudioTrackOptions microphone;
  microphone.name = "roomio_audio";  // what official agents call it
  microphone_ = &room_->publishAudio(std::move(microphone));
  for (const auto& p : join.other_participants()) {
    if (isUser(p)) userIdentity_ = p.identity();
  }
  if (api_) api_->postStatus("in_progress");
}

void CallSession::onConnected() { setState("listening"); }

void CallSession::onSignal(const livekit::SignalResponse& message) {
  if (!message.has_update()) return;
  for (const auto& p : message.update().participants()) {
    if (!isUser(p)) continue;
    if (p.state() == livekit::ParticipantInfo::DISCONNECTED) {
      if (p.identity() == userIdentity_ || userIdentity_.empty()) {
        // The caller hung up: the call is over.
        if (room_) room_->disconnect();
        return end(false, "the user left", "user_hangup");
      }
      continue;
    }
    if (userIdentity_.empty()) userIdentity_ = p.identity();
  }
}

void CallSession::onTrackSubscribed(const client::RemoteTrack& track) {
  common::logger("worker")->info("job {}: receiving {} {} from {}", jobId(), track.codec, track.trackSid,
                                 track.participantIdentity.empty() ? track.participantSid : track.participantIdentity);
}

void CallSession::onTrackUnsubscribed(const client::RemoteTrack&) {}

void CallSession::onDisconnected(const std::string& reason) { end(true, reason, "agent_disconnected"); }

void CallSession::setState(const std::string& state) {
  if (state == state_ || !room_) return;
  state_ = state;
  room_->updateParticipant(room_->joinResponse().participant().name(), room_->joinResponse().participant().metadata(),
                           {{"lk.agent.state", state}});
}

bool CallSession::isUser(const livekit::ParticipantInfo& participant) const {
  // The participant kinds an agent links to (PROTOCOL-agent-frontend §1d).
  const auto kind = participant.kind();
  if (kind != livekit::ParticipantInfo::STANDARD && kind != livekit::ParticipantInfo::SIP &&
      kind != livekit::ParticipantInfo::CONNECTOR) {
    return false;
  }
  return !participant.attributes().contains("lk.publish_on_behalf");
}

void CallSession::end(bool failed, const std::string& reason, const std::string& endReason) {
  if (finished_) return;
  finished_ = true;
  common::logger("worker")->info("job {}: ended ({})", jobId(), reason);
  if (api_) api_->postStatus(failed ? "failed" : "ended", endReason, failed ? reason : std::string());
  auto ended = std::move(ended_);
  if (ended) ended(failed, reason);
}

}  // namespace convox::worker

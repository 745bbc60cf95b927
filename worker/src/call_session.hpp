#pragma once

// One job: the agent in one room, on its media thread. It joins with the
// job's token (participant kind AGENT, identity agent-<job id>), publishes
// its microphone track, keeps lk.agent.state current, follows the user's
// microphone, and reports the conversation's status to the control API.
// Whatever goes wrong ends this call only.

#include "captions.hpp"
#include "client/room.hpp"
#include "control_api_client.hpp"
#include "job_metadata.hpp"
#include "proto/livekit_agent.pb.h"
#include "provider_endpoint.hpp"

#include "voice/compute_pool.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace convox::worker {

class MediaThread;

class VoiceAgent;
class WorkerMetrics;

struct CallSetup {
  livekit::Job job;
  JobMetadata metadata;
  std::string url;    // where to join (the assignment's, else the worker's)
  std::string token;  // the job token
  std::string controlApiUrl;
  std::string iceAddress;
  voice::ComputePool* pool = nullptr;  // shared by the worker's calls
  WorkerMetrics* metrics = nullptr;    // the worker's; null in tests
};

class CallSession final : public client::RoomListener {
 public:
  // `ended` runs on the media thread, once; the session may be destroyed after it returns.
  using EndedHandler = std::function<void(bool failed, const std::string& reason)>;

  CallSession(MediaThread& thread, CallSetup setup, EndedHandler ended);
  ~CallSession() override;
  CallSession(const CallSession&) = delete;
  CallSession& operator=(const CallSession&) = delete;

  void start();
  // The dispatcher terminated the job, or the worker is shutting down.
  void stop(const std::string& reason);
  const std::string& jobId() const { return setup_.job.id(); }
  // Its control API posts still queued, to outlive the session until delivered.
  std::unique_ptr<ControlApiClient> releaseApi() { return std::move(api_); }

 private:
  void onJoined(const livekit::JoinResponse& join) override;
  void onConnected() override;
  void onDisconnected(const std::string& reason) override;
  void onResumed(int attempts) override;
  void onRejoined(const livekit::JoinResponse& join) override;
  void onSignal(const livekit::SignalResponse& message) override;
  void onTrackSubscribed(const client::RemoteTrack& track) override;
  void onTrackUnsubscribed(const client::RemoteTrack& track) override;
  void onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) override;
  void onData(const livekit::DataPacket& packet, bool reliable) override;

  void readConversation();
  void readCredentials();
  void startVoice();
  bool sendReliable(livekit::DataPacket& packet);
  void setState(const std::string& state);
  void end(bool failed, const std::string& reason, const std::string& endReason);
  bool isUser(const livekit::ParticipantInfo& participant) const;

  MediaThread& thread_;
  CallSetup setup_;
  EndedHandler ended_;
  std::unique_ptr<ControlApiClient> api_;
  std::unique_ptr<client::Room> room_;
  client::LocalAudioTrack* microphone_ = nullptr;
  std::unique_ptr<VoiceAgent> voice_;
  CaptionPublisher captions_;
  uint32_t userSsrc_ = 0;
  std::string userTrackSid_;
  uint32_t dataSequence_ = 0;
  std::map<std::string, std::string> chatStreams_;  // lk.chat stream id -> text so far
  boost::json::object results_;
  // The stored conversation (a re-dispatched job continues it): read while
  // the room is joined; the voice starts once it is known or given up on.
  bool historyRead_ = false;
  bool voiceWaiting_ = false;
  std::optional<ConversationSoFar> soFar_;
  std::map<std::string, TeamProviderCredential> teamCredentials_;  // provider -> the team's, for this call only
  std::string state_;
  std::string userIdentity_;
  bool finished_ = false;
  bool ending_ = false;  // the agent hung up; the room is left shortly
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::worker

#include "call_session.hpp"

#include "agent_config/agent_settings.hpp"
#include "common/logging.hpp"
#include "language_model_factory.hpp"
#include "media_thread.hpp"
#include "provider_endpoint.hpp"
#include "speech_service_factory.hpp"
#include "voice_agent.hpp"
#include "worker_metrics.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace convox::worker {

namespace {
// Each of the two reads: a control API that is down delays the call's voice
// by at most twice this, then the call starts fresh.
constexpr std::chrono::milliseconds kHistoryReadTimeout{2000};
}  // namespace

CallSession::CallSession(MediaThread& thread, CallSetup setup, EndedHandler ended)
    : thread_(thread),
      setup_(std::move(setup)),
      ended_(std::move(ended)),
      captions_([this](livekit::DataPacket& packet) { return sendReliable(packet); }) {
  if (!setup_.metadata.conversationId.empty() && !setup_.controlApiUrl.empty()) {
    api_ = std::make_unique<ControlApiClient>(thread_.io(), setup_.controlApiUrl, setup_.token,
                                              setup_.metadata.conversationId);
  }
}

CallSession::~CallSession() {
  *alive_ = false;
  finished_ = true;
  voice_.reset();
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
  readConversation();
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

// The first time only: after a rejoin the state is the call's, sent again by the room.
void CallSession::onConnected() {
  if (state_ == "initializing") setState("listening");
}

void CallSession::onSignal(const livekit::SignalResponse& message) {
  if (!message.has_update()) return;
  for (const auto& p : message.update().participants()) {
    if (!isUser(p)) continue;
    if (p.state() == livekit::ParticipantInfo::DISCONNECTED) {
      if (!userIdentity_.empty() && p.identity() == userIdentity_) {
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
  // The first Opus microphone of a user is the one the agent listens to.
  if (userSsrc_ != 0 || track.kind != rtc::MediaKind::Audio) return;
  std::string codec = track.codec;
  std::transform(codec.begin(), codec.end(), codec.begin(), [](unsigned char c) { return std::tolower(c); });
  if (codec != "opus") return;
  userSsrc_ = track.ssrc;
  userTrackSid_ = track.trackSid;
  if (userIdentity_.empty()) userIdentity_ = track.participantIdentity;
  startVoice();
}

void CallSession::onTrackUnsubscribed(const client::RemoteTrack& track) {
  if (track.ssrc == userSsrc_) userSsrc_ = 0;
}

void CallSession::onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) {
  if (!voice_ || track.ssrc != userSsrc_ || packet.payloadType() != track.payloadType) return;
  voice_->onUserAudio(packet.ssrc(), packet.sequenceNumber(), packet.timestamp(), packet.payload());
}

void CallSession::onData(const livekit::DataPacket& packet, bool) {
  // Typed input: a text stream on lk.chat (header, chunks, trailer).
  if (packet.has_stream_header() && packet.stream_header().topic() == "lk.chat") {
    if (chatStreams_.size() < 16) chatStreams_[packet.stream_header().stream_id()] = {};
  } else if (packet.has_stream_chunk()) {
    auto it = chatStreams_.find(packet.stream_chunk().stream_id());
    if (it != chatStreams_.end() && it->second.size() + packet.stream_chunk().content().size() <= 4096) {
      it->second += packet.stream_chunk().content();
    }
  } else if (packet.has_stream_trailer()) {
    auto it = chatStreams_.find(packet.stream_trailer().stream_id());
    if (it == chatStreams_.end()) return;
    const std::string text = std::move(it->second);
    chatStreams_.erase(it);
    if (voice_) voice_->onUserText(text);
  }
}

bool CallSession::sendReliable(livekit::DataPacket& packet) {
  if (!room_) return false;
  // Receivers drop reliable packets whose sequence does not increase.
  packet.set_sequence(++dataSequence_);
  return room_->sendData(packet, true);
}

void CallSession::readConversation() {
  if (!api_) {
    historyRead_ = true;
    return;
  }
  api_->readConversation(kHistoryReadTimeout, [this, alive = std::weak_ptr<bool>(alive_)](auto soFar) {
    if (alive.expired()) return;
    // The voice starts once the team's keys are read too (readCredentials).
    if (!soFar) {
      common::logger("worker")->warn("job {}: cannot read conversation {} so far ({}); starting it fresh", jobId(),
                                     setup_.metadata.conversationId, soFar.error());
    } else {
      if (soFar->resumed()) {
        common::logger("worker")->info("job {}: continuing conversation {} after {} stored turns{}", jobId(),
                                       setup_.metadata.conversationId, soFar->turnsStored,
                                       soFar->unanswered.empty() ? "" : ", answering the last one");
      }
      for (const auto& [key, value] : soFar->results) results_[key] = value;
      soFar_ = std::move(*soFar);
    }
    readCredentials();
  });
}

void CallSession::readCredentials() {
  api_->readCredentials(kHistoryReadTimeout, [this, alive = std::weak_ptr<bool>(alive_)](auto credentials) {
    if (alive.expired()) return;
    historyRead_ = true;
    if (!credentials) {
      // The worker's own keys still serve; a provider with none fails the call with that reason.
      common::logger("worker")->warn("job {}: cannot read the team's provider credentials ({})", jobId(),
                                     credentials.error());
    } else {
      for (const auto& c : *credentials) {
        if (!c.apiKey.empty() || !c.baseUrl.empty()) teamCredentials_[c.provider] = {c.apiKey, c.baseUrl};
      }
    }
    if (voiceWaiting_) startVoice();
  });
}

void CallSession::startVoice() {
  if (voice_ || finished_ || !room_ || !setup_.pool) return;
  voiceWaiting_ = !historyRead_;
  if (voiceWaiting_) return;
  agent_config::AgentSettings settings;
  if (!setup_.metadata.agent.empty()) {
    auto parsed = agent_config::settingsFromDocument(boost::json::value(setup_.metadata.agent));
    if (!parsed.settings) {
      common::logger("worker")->warn("job {}: the agent configuration is not usable: {}", jobId(), parsed.error);
      room_->disconnect();
      return end(true, "agent configuration: " + parsed.error, "invalid_agent_config");
    }
    settings = std::move(*parsed.settings);
  } else {
    settings.firstMessage.inbound = "Hello! How can I help you?";
  }
  std::map<std::string, std::string> parameters;
  for (const auto& [key, value] : setup_.metadata.parameters) {
    parameters[std::string(key)] = value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
  }
  const bool outbound = setup_.metadata.direction == "outbound";
  VoiceAgentHooks hooks;
  hooks.setState = [this](const std::string& state) { setState(state); };
  hooks.sendOpus = [this](std::span<const uint8_t> frame, bool) {
    return microphone_ && microphone_->sendOpus(frame, rtc::kOpusFrameSamples);
  };
  hooks.skipAudio = [this](uint32_t samples) {
    if (microphone_) microphone_->advance(samples);
  };
  hooks.postTurn = [this](boost::json::object turn) {
    if (setup_.metrics) setup_.metrics->recordTurn(turn);
    if (api_) api_->postTurn(std::move(turn));
  };
  hooks.endCall = [this](const std::string& reason) {
    if (finished_ || ending_) return;
    ending_ = true;
    // The last caption trailer and audio frames are still in flight: leave
    // a moment later, as a person would not hang up mid-word.
    thread_.loop().addTimer(std::chrono::milliseconds(500), [this, reason, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.expired() || finished_) return;
      if (room_) room_->disconnect();
      end(false, "the agent ended the call", reason);
    });
  };
  hooks.usage = [this](const UsageReport& usage) {
    if (api_) api_->postUsage(usage.stage, usage.provider, usage.model, usage.unit, usage.quantity, usage.estimated);
  };
  hooks.setResults = [this](const boost::json::object& results) {
    results_ = results;
    // Stored as they come: a worker that takes this job over after a crash
    // reads them back, so the final results keep what was collected before.
    if (api_) api_->postStatus("in_progress", {}, {}, results_);
  };
  hooks.fail = [this](const std::string& error) {
    if (finished_) return;
    if (room_) room_->disconnect();
    end(true, "voice pipeline: " + error, "worker_error");
  };
  hooks.outputReady = [this] { return microphone_ && microphone_->live() && room_ && room_->dataReady(); };
  hooks.captions = &captions_;
  hooks.agentIdentity = room_->localIdentity();
  hooks.agentTrackSid = [this] { return microphone_ ? microphone_->sid() : std::string(); };
  hooks.userIdentity = [this] { return userIdentity_; };
  hooks.userTrackSid = [this] { return userTrackSid_; };
  voice_ = std::make_unique<VoiceAgent>(thread_.loop(), *setup_.pool, settings, parameters, outbound, std::move(hooks));
  FallbackHooks cascade;
  cascade.onEvent = [events = voice_->eventSink()](const voice::ProviderSwitch& e) {
    events({"llm", e.provider, e.event, e.reason, e.to});
  };
  cascade.usage = voice_->usageSink();
  auto choice = makeLanguageModel(
      settings, parameters, thread_.io(),
      [loop = &thread_.loop()](std::function<void()> task) { loop->post(std::move(task)); },
      withTeamCredentials(processEnvironment(), teamCredentials_), std::move(cascade));
  if (!choice.model) {
    common::logger("worker")->warn("job {}: {}", jobId(), choice.error);
    voice_.reset();
    room_->disconnect();
    return end(true, choice.error, choice.endReason);
  }
  common::logger("worker")->info("job {}: language model {}", jobId(), choice.provider);
  SpeechServiceContext speech{
      *setup_.pool,
      [loop = &thread_.loop()](voice::ComputePool::Task task) { loop->post(std::move(task)); },
      thread_.io(),
      voice_->usageSink(),
      voice_->eventSink(),
      [this, alive = std::weak_ptr<bool>(alive_)](const std::string& reason) {
        // A call that can neither hear nor speak is over, not silent.
        if (alive.expired() || finished_) return;
        if (room_) room_->disconnect();
        end(true, "voice pipeline: " + reason, "worker_error");
      },
      withTeamCredentials(processEnvironment(), teamCredentials_),
  };
  auto stt = makeSttService(settings, speech);
  auto tts = stt.service ? makeTtsService(settings, speech) : ServiceChoice<voice::TtsService>{};
  if (!stt.service || !tts.service) {
    const auto& failed = !stt.service ? stt.error : tts.error;
    const auto& reason = !stt.service ? stt.endReason : tts.endReason;
    common::logger("worker")->warn("job {}: {}", jobId(), failed);
    voice_.reset();
    room_->disconnect();
    return end(true, failed, reason);
  }
  common::logger("worker")->info("job {}: speech recognition {}, synthesis {}", jobId(), stt.provider, tts.provider);
  VoiceProviders providers;
  providers.model = std::move(choice.model);
  providers.stt = std::move(stt.service);
  providers.tts = std::move(tts.service);
  std::string error;
  if (!voice_->init(std::move(providers), error)) {
    voice_.reset();
    room_->disconnect();
    return end(true, "voice pipeline: " + error, "worker_error");
  }
  if (soFar_) voice_->resume(std::move(*std::exchange(soFar_, std::nullopt)));
  voice_->start();
}

void CallSession::onDisconnected(const std::string& reason) { end(true, reason, "agent_disconnected"); }

void CallSession::onRejoined(const livekit::JoinResponse& join) {
  common::logger("worker")->info("job {}: joined room {} again as {} ({})", jobId(), join.room().name(),
                                 join.participant().identity(), join.participant().sid());
}

void CallSession::onResumed(int attempts) {
  common::logger("worker")->info("job {}: signal connection resumed ({} attempt{})", jobId(), attempts,
                                 attempts == 1 ? "" : "s");
}

void CallSession::setState(const std::string& state) {
  if (state == state_ || !room_) return;
  common::logger("worker")->debug("job {}: {} -> {}", jobId(), state_.empty() ? "-" : state_, state);
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
  if (voice_) voice_->stop();
  if (api_) api_->postStatus(failed ? "failed" : "ended", endReason, failed ? reason : std::string(), results_);
  auto ended = std::move(ended_);
  if (ended) ended(failed, reason);
}

}  // namespace convox::worker

#include "signal_session.hpp"

#include "common/ids.hpp"
#include "common/logging.hpp"
#include "rtc/ice_candidate_init.hpp"
#include "sfu/signal_codec.hpp"

#include <boost/asio/post.hpp>

#include <utility>

namespace convox::sfu {

namespace {
constexpr int32_t kProtocolVersion = 17;
}

SignalSession::SignalSession(boost::asio::io_context& io, RoomManager& rooms, MediaWorkerPool& media,
                             common::ClaimGrants grants, const SignalServiceOptions& options, JoinParameters join)
    : io_(io),
      rooms_(rooms),
      mediaPool_(media),
      options_(options),
      grants_(std::move(grants)),
      join_(join),
      pingTimeout_(io),
      resumeTimer_(io) {}

namespace {
// Messages held for a suspended session; more means it missed too much to
// resume cleanly, and it leaves instead (the client then rejoins).
constexpr size_t kMaxHeldMessages = 1024;
}  // namespace

bool SignalSession::resumable(const std::string& sid) const {
  if (!participant_ || participant_->sid() != sid) return false;
  return suspended_ || (connection_ && keepsForResume());
}

bool SignalSession::keepsForResume() const {
  // As LiveKit does: only a participant whose media ever connected is kept
  // for a resume; a signal-only one (or one still connecting) leaves.
  return !endOnClose_ && mediaConnected_ && !mediaFailed_ && options_.signal.resumeWindowSeconds > 0 &&
         rooms_.inRoom(participant_);
}

void SignalSession::join(std::shared_ptr<common::WebSocketConnection> connection) {
  connection_ = std::move(connection);
  auto joined = rooms_.join(grants_, shared_from_this());
  if (auto* refused = std::get_if<AdmitError>(&joined)) {
    livekit::SignalResponse leave;
    leave.mutable_leave()->set_reason(livekit::JOIN_FAILURE);
    send(leave);
    close(common::close_code::kPolicyViolation, refused->message);
    return;
  }
  auto& ok = std::get<RoomManager::Joined>(joined);
  participant_ = ok.participant;
  participant_->setAutoSubscribe(join_.autoSubscribe);
  mediaRoom_ = ok.media;
  if (!mediaRoom_->worker) mediaRoom_->worker = &mediaPool_.pick();
  media_ = mediaRoom_->worker;
  participant_->setDataSink([weak = weak_from_this()](const std::string& bytes, bool reliable) {
    auto self = weak.lock();
    if (!self || !self->publisher_) return;
    self->media_->loop().post([p = self->publisher_, bytes, reliable] { p->sendData(bytes, reliable); });
  });
  sendJoinResponse(ok);
  armPingTimeout();
  rooms_.subscribeToExisting(participant_);
}

void SignalSession::sendJoinResponse(const RoomManager::Joined& joined) {
  livekit::SignalResponse msg;
  auto& join = *msg.mutable_join();
  *join.mutable_room() = joined.room;
  *join.mutable_participant() = participant_->info();
  for (const auto& other : joined.others) *join.add_other_participants() = other;
  join.set_server_version(options_.serverVersion);
  // Until the server offers a subscriber connection, the client's publisher
  // connection is the primary one (and carries data both ways).
  join.set_subscriber_primary(false);
  join.mutable_client_configuration()->set_resume_connection(
      options_.signal.resumeWindowSeconds > 0 ? livekit::ENABLED : livekit::DISABLED);
  join.set_ping_interval(options_.signal.pingIntervalSeconds);
  join.set_ping_timeout(options_.signal.pingTimeoutSeconds);
  auto& info = *join.mutable_server_info();
  info.set_edition(livekit::ServerInfo::Standard);
  info.set_version(options_.serverVersion);
  info.set_protocol(kProtocolVersion);
  info.set_node_id(options_.nodeId);
  info.set_debug_info("convox");
  for (const char* mime : {"audio/opus", "video/VP8", "video/H264"}) join.add_enabled_publish_codecs()->set_mime(mime);
  send(msg);
}

void SignalSession::armPingTimeout() {
  pingTimeout_.expires_after(std::chrono::seconds(options_.signal.pingTimeoutSeconds));
  pingTimeout_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    common::logger("signal")->info("participant {}: no message for {} s, closing", self->grants_.identity,
                                   self->options_.signal.pingTimeoutSeconds);
    self->leaveReason_ = livekit::CONNECTION_TIMEOUT;
    // Not close(): a client that went quiet may come back and resume.
    if (self->connection_) self->connection_->close(common::close_code::kPolicyViolation, "ping timeout");
  });
}

const std::array<SignalSession::Handler, 24>& SignalSession::handlers() {
  static const auto table = [] {
    std::array<Handler, 24> t{};
    t.fill(&SignalSession::onAccepted);
    using R = livekit::SignalRequest;
    t[R::kPing] = &SignalSession::onPing;
    t[R::kPingReq] = &SignalSession::onPingReq;
    t[R::kLeave] = &SignalSession::onLeave;
    t[R::kUpdateMetadata] = &SignalSession::onUpdateMetadata;
    t[R::kOffer] = &SignalSession::onOffer;
    t[R::kTrickle] = &SignalSession::onTrickle;
    t[R::kAnswer] = &SignalSession::onAnswer;
    t[R::kAddTrack] = &SignalSession::onAddTrack;
    t[R::kMute] = &SignalSession::onMute;
    t[R::kSubscription] = &SignalSession::onSubscription;
    t[R::kSubscriptionPermission] = &SignalSession::onSubscriptionPermission;
    t[R::kTrackSetting] = &SignalSession::onTrackSetting;
    for (auto media : {R::kUpdateLayers, R::kSyncState, R::kUpdateAudioTrack, R::kUpdateVideoTrack}) {
      t[media] = &SignalSession::onMediaRequest;
    }
    return t;
  }();
  return table;
}

void SignalSession::onMessage(std::string_view data, bool binary) {
  if (!participant_) return;
  livekit::SignalRequest req;
  if (auto decoded = decodeSignalRequest(data, binary, req); !decoded.ok) {
    common::logger("signal")->warn("participant {} ({}): {}; closing", participant_->identity(), participant_->sid(),
                                   decoded.error);
    close(common::close_code::kInvalidPayload, decoded.error);
    return;
  }
  armPingTimeout();
  const auto which = static_cast<size_t>(req.message_case());
  if (which == 0 || which >= handlers().size()) return;  // a request newer than us: nothing to do
  (this->*handlers()[which])(req);
}

void SignalSession::onPing(const livekit::SignalRequest&) {
  livekit::SignalResponse msg;
  msg.set_pong(common::unixMillis());
  send(msg);
}

void SignalSession::onPingReq(const livekit::SignalRequest& req) {
  livekit::SignalResponse msg;
  msg.mutable_pong_resp()->set_last_ping_timestamp(req.ping_req().timestamp());
  msg.mutable_pong_resp()->set_timestamp(common::unixMillis());
  send(msg);
}

void SignalSession::onLeave(const livekit::SignalRequest&) {
  leaveReason_ = livekit::CLIENT_INITIATED;
  rooms_.leave(participant_, leaveReason_);
  close(common::close_code::kNormal, "client left");
}

void SignalSession::onUpdateMetadata(const livekit::SignalRequest& req) {
  const auto& update = req.update_metadata();
  const auto refused = rooms_.updateOwnMetadata(participant_, update);
  if (!refused) return;  // the echoed ParticipantUpdate answers it
  // LiveKit's answer: a RequestResponse with the request id, a reason and why.
  using Reason = RoomManager::UpdateRefusal::Reason;
  livekit::SignalResponse msg;
  auto& response = *msg.mutable_request_response();
  response.set_request_id(update.request_id());
  response.set_reason(refused->reason == Reason::LimitExceeded ? livekit::RequestResponse::LIMIT_EXCEEDED
                      : refused->reason == Reason::NotAllowed  ? livekit::RequestResponse::NOT_ALLOWED
                                                               : livekit::RequestResponse::NOT_FOUND);
  response.set_message(refused->message);
  send(msg);
}

void SignalSession::onAccepted(const livekit::SignalRequest&) {}

void SignalSession::onMediaRequest(const livekit::SignalRequest& req) {
  // Requests we do not act on yet (layers, sync state after a resume); say so once per session.
  if (!warnedMediaUnsupported_) {
    warnedMediaUnsupported_ = true;
    common::logger("signal")->warn("participant {} ({}): media request {} is not supported yet",
                                   participant_->identity(), participant_->sid(), static_cast<int>(req.message_case()));
  }
}

std::function<void(std::function<void(SignalSession&)>)> SignalSession::toSignal() {
  // Transport callbacks run on the media thread; each hops to the signalling
  // thread and does nothing if the session has gone meanwhile.
  return [weak = weak_from_this(), &io = io_](std::function<void(SignalSession&)> fn) {
    boost::asio::post(io, [weak, fn = std::move(fn)] {
      if (auto self = weak.lock()) fn(*self);
    });
  };
}

void SignalSession::createPublisher() {
  auto toSignal = this->toSignal();
  PublisherCallbacks callbacks;
  callbacks.answer = [toSignal](std::string sdp, uint32_t id) {
    toSignal([sdp = std::move(sdp), id](SignalSession& self) {
      livekit::SignalResponse msg;
      auto& answer = *msg.mutable_answer();
      answer.set_type("answer");
      answer.set_sdp(sdp);
      answer.set_id(id);  // the client ignores answers that do not echo its offer id
      self.send(msg);
    });
  };
  callbacks.failed = [toSignal](std::string reason) {
    toSignal([reason = std::move(reason)](SignalSession& self) {
      if (!self.participant_) return;
      // Gone on both paths: there is nothing left to resume.
      self.mediaFailed_ = true;
      if (self.suspended_) self.endSoon();
      common::logger("media")->warn("participant {} ({}): publisher transport: {}", self.participant_->identity(),
                                    self.participant_->sid(), reason);
    });
  };
  callbacks.connected = [toSignal] {
    toSignal([](SignalSession& self) {
      if (!self.participant_) return;
      self.mediaConnected_ = true;
      common::logger("media")->info("participant {} ({}): publisher transport connected", self.participant_->identity(),
                                    self.participant_->sid());
    });
  };
  callbacks.data = [toSignal](std::string bytes, bool reliable) {
    toSignal([bytes = std::move(bytes), reliable](SignalSession& self) {
      if (self.participant_) self.rooms_.forwardData(self.participant_, bytes, reliable);
    });
  };
  callbacks.trackPublished = [toSignal](std::string cid, std::string, std::string mid) {
    toSignal([cid = std::move(cid), mid = std::move(mid)](SignalSession& self) {
      if (self.participant_) self.rooms_.trackPublished(self.participant_, cid, mid);
    });
  };
  callbacks.trackUnpublished = [toSignal](std::string sid) {
    toSignal([sid = std::move(sid)](SignalSession& self) {
      if (self.participant_) self.rooms_.trackUnpublished(self.participant_, sid);
    });
  };
  publisher_ = std::make_shared<PublisherTransport>(*media_, mediaRoom_, std::move(callbacks));
}

void SignalSession::createSubscriber() {
  auto toSignal = this->toSignal();
  SubscriberCallbacks callbacks;
  callbacks.offer = [toSignal](std::string sdp, uint32_t id, std::map<std::string, std::string> midToTrack) {
    toSignal([sdp = std::move(sdp), id, midToTrack = std::move(midToTrack)](SignalSession& self) {
      livekit::SignalResponse msg;
      auto& offer = *msg.mutable_offer();
      offer.set_type("offer");
      offer.set_sdp(sdp);
      offer.set_id(id);
      for (const auto& [mid, track] : midToTrack) (*offer.mutable_mid_to_track_id())[mid] = track;
      self.send(msg);
    });
  };
  callbacks.failed = [toSignal](std::string reason) {
    toSignal([reason = std::move(reason)](SignalSession& self) {
      if (!self.participant_) return;
      // Gone on both paths: there is nothing left to resume.
      self.mediaFailed_ = true;
      if (self.suspended_) self.endSoon();
      common::logger("media")->warn("participant {} ({}): subscriber transport: {}", self.participant_->identity(),
                                    self.participant_->sid(), reason);
    });
  };
  callbacks.connected = [toSignal] {
    toSignal([](SignalSession& self) {
      if (!self.participant_) return;
      self.mediaConnected_ = true;
      common::logger("media")->info("participant {} ({}): subscriber transport connected",
                                    self.participant_->identity(), self.participant_->sid());
    });
  };
  subscriber_ = std::make_shared<SubscriberTransport>(*media_, mediaRoom_, participant_->sid(), std::move(callbacks));
}

void SignalSession::subscribeTrack(const livekit::TrackInfo& track, const std::string& publisherSid) {
  if (!participant_) return;
  if (!subscriber_) createSubscriber();
  SubscribeRequest request{track.sid(), publisherSid, track.stereo()};
  media_->loop().post([s = subscriber_, request] { s->subscribe(request); });
}

void SignalSession::unsubscribeTrack(const std::string& trackSid) {
  if (!subscriber_) return;
  media_->loop().post([s = subscriber_, trackSid] { s->unsubscribe(trackSid); });
}

void SignalSession::onAddTrack(const livekit::SignalRequest& req) {
  const auto& add = req.add_track();
  auto result = rooms_.addTrack(participant_, add);
  if (auto* refused = std::get_if<std::string>(&result)) {
    common::logger("signal")->warn("participant {} ({}): AddTrackRequest {} refused: {}", participant_->identity(),
                                   participant_->sid(), add.cid(), *refused);
    livekit::SignalResponse msg;
    msg.mutable_request_response()->set_reason(livekit::RequestResponse::NOT_ALLOWED);
    msg.mutable_request_response()->set_message(*refused);
    send(msg);
    return;
  }
  const auto& track = std::get<livekit::TrackInfo>(result);
  PublishRequest request;
  request.cid = add.cid();
  request.sid = track.sid();
  request.publisherSid = participant_->sid();
  request.kind = add.type() == livekit::AUDIO ? rtc::MediaKind::Audio : rtc::MediaKind::Video;
  if (add.simulcast_codecs_size() > 0) request.videoCodec = add.simulcast_codecs(0).codec();
  request.disableDtx = add.disable_dtx();
  request.disableRed = add.disable_red();
  request.stereo = add.stereo();
  for (const auto& f : add.audio_features()) {
    if (f == livekit::TF_NO_DTX) request.disableDtx = true;
    if (f == livekit::TF_STEREO) request.stereo = true;
  }
  for (const auto& layer : add.layers()) {
    if (layer.quality() > livekit::HIGH) continue;
    request.layers.push_back({static_cast<uint8_t>(layer.quality()), layer.width(), layer.height(), layer.bitrate()});
    if (layer.rid().empty()) continue;
    const auto quality = static_cast<size_t>(layer.quality());
    if (request.ridsByQuality.size() <= quality) request.ridsByQuality.resize(quality + 1);
    request.ridsByQuality[quality] = layer.rid();
  }
  if (!publisher_) createPublisher();
  // Posted before the offer that carries the track's section, so it is there when that offer is answered.
  media_->loop().post([p = publisher_, request] { p->expectTrack(request); });
  livekit::SignalResponse msg;
  msg.mutable_track_published()->set_cid(add.cid());
  *msg.mutable_track_published()->mutable_track() = track;
  send(msg);
}

void SignalSession::onAnswer(const livekit::SignalRequest& req) {
  if (!subscriber_) return;
  media_->loop().post(
      [s = subscriber_, sdp = req.answer().sdp(), id = req.answer().id()] { s->handleAnswer(sdp, id); });
}

void SignalSession::onMute(const livekit::SignalRequest& req) {
  const auto& mute = req.mute();
  rooms_.setTrackMuted(participant_, mute.sid(), mute.muted());
}

void SignalSession::setPublishedTrackMuted(const std::string& trackSid, bool muted) {
  if (publisher_) media_->loop().post([p = publisher_, trackSid, muted] { p->setTrackMuted(trackSid, muted); });
}

void SignalSession::onSubscription(const livekit::SignalRequest& req) {
  rooms_.updateSubscription(participant_, req.subscription());
}

void SignalSession::onSubscriptionPermission(const livekit::SignalRequest& req) {
  rooms_.updateSubscriptionPermission(participant_, req.subscription_permission());
}

void SignalSession::onTrackSetting(const livekit::SignalRequest& req) {
  if (!subscriber_) return;
  const auto& setting = req.track_setting();
  // The down-track's simulcast selector maps these to a layer: the size,
  // when given, by the publisher's layer dimensions, else the quality.
  DownTrackSettings settings;
  settings.disabled = setting.disabled();
  settings.quality = static_cast<uint8_t>(setting.quality() <= livekit::OFF ? setting.quality() : livekit::HIGH);
  settings.width = setting.width();
  settings.height = setting.height();
  for (const auto& sid : setting.track_sids()) {
    media_->loop().post([s = subscriber_, sid, settings] { s->updateSettings(sid, settings); });
  }
}

void SignalSession::onOffer(const livekit::SignalRequest& req) {
  if (!publisher_) createPublisher();
  media_->loop().post([p = publisher_, sdp = req.offer().sdp(), id = req.offer().id()] { p->handleOffer(sdp, id); });
}

void SignalSession::onTrickle(const livekit::SignalRequest& req) {
  // TrickleRequest.candidateInit is the JSON of an RTCIceCandidateInit; the
  // transports take its candidate line. An empty one (end of candidates) or
  // JSON that does not parse carries nothing to add.
  const auto init = rtc::parseIceCandidateInit(req.trickle().candidateinit());
  if (!init || init->candidate.empty()) return;
  std::string candidate = init->candidate;
  if (req.trickle().target() == livekit::SUBSCRIBER) {
    if (subscriber_) media_->loop().post([s = subscriber_, candidate] { s->addRemoteCandidate(candidate); });
    return;
  }
  if (publisher_) media_->loop().post([p = publisher_, candidate] { p->addRemoteCandidate(candidate); });
}

void SignalSession::onConnectionClosed(const common::WebSocketConnection& connection, uint16_t code,
                                       std::string_view reason) {
  if (!usesConnection(connection)) return;  // a socket a resume replaced
  pingTimeout_.cancel();
  connection_.reset();
  if (!participant_) return;
  common::logger("signal")->debug("participant {} ({}): signal closed ({} {})", participant_->identity(),
                                  participant_->sid(), code, reason);
  if (keepsForResume()) return suspend();
  end();
}

void SignalSession::suspend() {
  suspended_ = true;
  resumeTimer_.expires_after(std::chrono::seconds(options_.signal.resumeWindowSeconds));
  resumeTimer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || !self->suspended_) return;
    common::logger("signal")->info("participant {}: not back within {} s, leaving", self->grants_.identity,
                                   self->options_.signal.resumeWindowSeconds);
    self->end();
  });
}

void SignalSession::resume(std::shared_ptr<common::WebSocketConnection> connection) {
  if (connection_) {
    // The client gave up on a socket we still had: what we sent on it since
    // it died is lost, as the SDK's resume expects (it re-syncs its state).
    common::logger("signal")->info("participant {} ({}): reconnect replaces a socket that still looked open",
                                   participant_->identity(), participant_->sid());
    std::exchange(connection_, nullptr)->close(common::close_code::kNormal, "replaced by a resumed connection");
  }
  suspended_ = false;
  leaveReason_ = livekit::SIGNAL_CLOSE;
  resumeTimer_.cancel();
  connection_ = std::move(connection);
  common::logger("signal")->info("participant {} ({}): resumed", participant_->identity(), participant_->sid());
  livekit::SignalResponse msg;
  auto& reconnect = *msg.mutable_reconnect();
  auto& info = *reconnect.mutable_server_info();
  info.set_edition(livekit::ServerInfo::Standard);
  info.set_version(options_.serverVersion);
  info.set_protocol(kProtocolVersion);
  info.set_node_id(options_.nodeId);
  send(msg);
  for (const auto& bytes : std::exchange(held_, {})) connection_->sendBinary(bytes);
  // The client restarts its publisher connection's ICE itself; the
  // subscriber connection is ours to restart (and the SDK expects us to).
  if (subscriber_) media_->loop().post([s = subscriber_] { s->restartIce(); });
  armPingTimeout();
}

// The participant is done: transports closed on their thread, the room told.
void SignalSession::end() {
  suspended_ = false;
  resumeTimer_.cancel();
  held_.clear();
  if (publisher_) {
    // The transport lives and dies on its media thread.
    media_->loop().post([p = std::move(publisher_)] { p->close(); });
  }
  if (subscriber_) media_->loop().post([s = std::move(subscriber_)] { s->close(); });
  // The room's media state is released on its own thread.
  if (mediaRoom_) media_->loop().post([m = std::move(mediaRoom_)] {});
  if (participant_) rooms_.leave(participant_, leaveReason_);
  participant_.reset();
}

void SignalSession::send(const livekit::SignalResponse& message) {
  if (connection_) return connection_->sendBinary(encodeSignalResponse(message));
  if (!suspended_) return;
  if (held_.size() < kMaxHeldMessages) return held_.push_back(encodeSignalResponse(message));
  common::logger("signal")->info("participant {}: too much missed while disconnected, leaving", grants_.identity);
  endSoon();
}

// Ends outside the caller, which may be the room walking its participants.
void SignalSession::endSoon() {
  suspended_ = false;
  held_.clear();
  boost::asio::post(io_, [self = shared_from_this()] { self->end(); });
}

void SignalSession::close(uint16_t code, std::string reason) {
  endOnClose_ = true;
  if (connection_) return connection_->close(code, std::move(reason));
  // Closed (removed, say) while suspended: there is no socket to wait for.
  if (suspended_) endSoon();
}

}  // namespace convox::sfu

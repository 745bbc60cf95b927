#include "client/room.hpp"

#include "common/logging.hpp"
#include "publisher_connection.hpp"
#include "rtc/ice_candidate_init.hpp"
#include "subscriber_connection.hpp"

#include <array>
#include <chrono>
#include <random>

namespace convox::client {

namespace {

uint32_t randomSsrc() { return static_cast<uint32_t>(std::random_device{}()) | 1u; }

// Waits before each resume attempt, as livekit-client backs off; all of
// them fit in the server's default resume window (10 s).
constexpr std::array<std::chrono::milliseconds, 5> kResumeDelays{
    std::chrono::milliseconds(0), std::chrono::milliseconds(300), std::chrono::milliseconds(1000),
    std::chrono::milliseconds(2000), std::chrono::milliseconds(3000)};
// Then full rejoins: the server ends a session it was keeping once its
// resume window has passed, so these reach beyond it.
constexpr std::array<std::chrono::milliseconds, 6> kRejoinDelays{
    std::chrono::milliseconds(500),  std::chrono::milliseconds(1000), std::chrono::milliseconds(2000),
    std::chrono::milliseconds(4000), std::chrono::milliseconds(8000), std::chrono::milliseconds(15000)};
constexpr size_t kMaxHeldRequests = 256;
constexpr int kReconnectReasonSignalDisconnected = 1;  // livekit.ReconnectReason.RR_SIGNAL_DISCONNECTED

}  // namespace

Room::Room(rtc::EventLoop& loop, boost::asio::io_context& io, RoomListener& listener, RoomOptions options)
    : loop_(loop), listener_(listener), options_(std::move(options)), signal_(io, *this), resumeTimer_(io) {}

Room::~Room() {
  *alive_ = false;
  finished_ = true;
  resumeTimer_.cancel();
  signal_.close();
  subscriber_.reset();
  publisher_.reset();
}

bool Room::connect(std::string& error) {
  if (!options_.certificate) {
    options_.certificate = rtc::DtlsCertificate::generate(error);
    if (!options_.certificate) return false;
  }
  return signal_.connect(options_.url, options_.token, options_.signal, error);
}

void Room::disconnect() {
  if (finished_) return;
  finished_ = true;
  resumeTimer_.cancel();
  signal_.leave();
  if (subscriber_) subscriber_->close();
  if (publisher_) publisher_->close();
}

bool Room::startPublisher() {
  if (publisher_) return true;
  publisher_ = std::make_unique<PublisherConnection>(*this);
  std::string error;
  if (!publisher_->start(error)) {
    fail("publisher transport: " + error);
    return false;
  }
  publisher_->negotiate();
  return true;
}

LocalAudioTrack& Room::publishAudio(AudioTrackOptions options) {
  const std::string cid = "TR_local_" + std::to_string(tracks_.size() + 1) + "_" + std::to_string(randomSsrc());
  tracks_.push_back(
      std::unique_ptr<LocalAudioTrack>(new LocalAudioTrack(*this, cid, std::move(options), randomSsrc())));
  auto& track = *tracks_.back();
  sendSignal(addTrackRequest(track));
  if (joined_) startPublisher();
  return track;
}

livekit::SignalRequest Room::addTrackRequest(const LocalAudioTrack& track) {
  livekit::SignalRequest request;
  auto& add = *request.mutable_add_track();
  add.set_cid(track.cid_);
  add.set_name(track.options_.name);
  add.set_type(livekit::AUDIO);
  add.set_source(track.options_.source);
  add.set_disable_dtx(!track.options_.dtx);
  add.set_disable_red(true);  // we send plain Opus
  return request;
}

bool Room::sendData(const livekit::DataPacket& packet, bool reliable) {
  return publisher_ && publisher_->sendData(packet.SerializeAsString(), reliable);
}

void Room::updateParticipant(const std::string& name, const std::string& metadata,
                             const std::map<std::string, std::string>& attributes) {
  livekit::SignalRequest request;
  auto& update = *request.mutable_update_metadata();
  update.set_name(name);
  update.set_metadata(metadata);
  for (const auto& [key, value] : attributes) (*update.mutable_attributes())[key] = value;
  // Attributes merge on the server: a rejoined participant gets all of ours.
  if (lastMetadata_) {
    auto merged = lastMetadata_->update_metadata().attributes();
    for (const auto& [key, value] : attributes) merged[key] = value;
    *update.mutable_attributes() = merged;
  }
  lastMetadata_ = request;
  sendSignal(request);
}

void Room::sendSignal(const livekit::SignalRequest& request) {
  if (!resuming_) return signal_.send(request);
  // A state update supersedes the one before it; the rest keep their order.
  if (request.has_update_metadata()) {
    std::erase_if(held_, [](const livekit::SignalRequest& r) { return r.has_update_metadata(); });
  }
  // An offer, answer or candidate must not be lost: past the bound the
  // state is beyond resuming, and a fresh session is the honest way on
  // (decided once resumed: here we may be inside a peer connection's call).
  if (held_.size() >= kMaxHeldRequests) {
    heldOverflowed_ = true;
    return;
  }
  held_.push_back(request);
}

bool Room::publisherConnected() const { return publisher_ && publisher_->connected(); }

bool Room::dataReady() const { return publisher_ && publisher_->dataReady(); }

bool Room::subscriberConnected() const { return subscriber_ && subscriber_->connected(); }

const std::vector<RemoteTrack>& Room::remoteTracks() const {
  static const std::vector<RemoteTrack> kNone;
  return subscriber_ ? subscriber_->tracks() : kNone;
}

std::string Room::identityOf(const std::string& participantSid) const {
  const auto it = identities_.find(participantSid);
  return it == identities_.end() ? std::string() : it->second;
}

void Room::onSignalMessage(const livekit::SignalResponse& message) {
  if (finished_) return;
  switch (message.message_case()) {
    case livekit::SignalResponse::kJoin: {
      join_ = message.join();
      joined_ = true;
      if (rejoining_) {
        onRejoinedJoin();
        break;
      }
      identities_[join_.participant().sid()] = join_.participant().identity();
      noteParticipants(join_.other_participants());
      // The SDKs offer the data channels at once; a room without them
      // starts its publisher connection with its first track.
      if (options_.dataChannels && !startPublisher()) return;
      listener_.onJoined(join_);
      break;
    }
    case livekit::SignalResponse::kReconnect:
      onResumed();
      break;
    case livekit::SignalResponse::kAnswer:
      if (publisher_) publisher_->onAnswer(message.answer());
      break;
    case livekit::SignalResponse::kOffer:
      if (!subscriber_) subscriber_ = std::make_unique<SubscriberConnection>(*this);
      subscriber_->onOffer(message.offer());
      break;
    case livekit::SignalResponse::kTrickle: {
      const auto init = rtc::parseIceCandidateInit(message.trickle().candidateinit());
      if (!init || init->candidate.empty()) break;
      if (message.trickle().target() == livekit::SUBSCRIBER) {
        if (subscriber_) subscriber_->addRemoteCandidate(init->candidate);
      } else if (publisher_) {
        publisher_->addRemoteCandidate(init->candidate);
      }
      break;
    }
    case livekit::SignalResponse::kTrackPublished: {
      const auto& published = message.track_published();
      for (auto& track : tracks_) {
        if (track->cid_ != published.cid() || !track->sid_.empty()) continue;
        track->sid_ = published.track().sid();
        if (publisher_) publisher_->negotiate();
      }
      break;
    }
    case livekit::SignalResponse::kUpdate:
      noteParticipants(message.update().participants());
      break;
    case livekit::SignalResponse::kLeave:
      listener_.onSignal(message);
      // The server moves us (e.g. draining): resume on a new connection.
      if (!resuming_ && joined_ && message.leave().action() == livekit::LeaveRequest::RESUME) {
        signal_.close();
        return onSignalClosed("the server asked us to resume (reason " + std::to_string(message.leave().reason()) +
                              ")");
      }
      // Resume refused, or the server wants a fresh session: join again.
      if (resuming_ || message.leave().action() == livekit::LeaveRequest::RECONNECT) {
        return rejoin("the server asked for a full reconnect (reason " + std::to_string(message.leave().reason()) +
                      ")");
      }
      return fail("the server asked us to leave (reason " + std::to_string(message.leave().reason()) + ")");
    default:
      break;
  }
  if (!finished_) listener_.onSignal(message);
}

void Room::noteParticipants(const google::protobuf::RepeatedPtrField<livekit::ParticipantInfo>& participants) {
  for (const auto& p : participants) {
    if (p.state() == livekit::ParticipantInfo::DISCONNECTED) {
      identities_.erase(p.sid());
      continue;
    }
    auto& identity = identities_[p.sid()];
    if (identity == p.identity()) continue;
    identity = p.identity();
    if (subscriber_) subscriber_->learnIdentity(p.sid(), p.identity());
  }
}

void Room::onSignalClosed(const std::string& reason) {
  if (finished_) return;
  if (rejoining_) return rejoin(reason);
  // The server keeps a session whose media connected; before that, or when
  // it said it would not, there is nothing to resume.
  const bool resumable =
      joined_ && publisherConnected() && join_.client_configuration().resume_connection() != livekit::DISABLED;
  if (!resumable) return fail("signal connection: " + reason);
  if (!resuming_) {
    resuming_ = true;
    resumeAttempts_ = 0;
    lostBecause_ = reason;
  }
  resumeSignal(reason);
}

void Room::resumeSignal(const std::string& reason) {
  if (resumeAttempts_ >= static_cast<int>(kResumeDelays.size())) {
    return rejoin("not resumed after " + std::to_string(resumeAttempts_) + " attempts (last: " + reason + ")");
  }
  resumeTimer_.expires_after(kResumeDelays[static_cast<size_t>(resumeAttempts_)]);
  ++resumeAttempts_;
  resumeTimer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    if (ec || alive.expired() || finished_) return;
    auto options = options_.signal;
    options.reconnect = true;
    options.participantSid = localSid();
    options.reconnectReason = kReconnectReasonSignalDisconnected;
    std::string error;
    if (!signal_.connect(options_.url, options_.token, options, error)) fail("signal connection: " + error);
  });
}

void Room::onResumed() {
  if (!resuming_) return;
  resuming_ = false;
  if (std::exchange(heldOverflowed_, false)) {
    return rejoin("more than " + std::to_string(kMaxHeldRequests) + " requests while the signal connection was down");
  }
  // As the SDKs: what we publish and receive, for a server that reconciles
  // (ours keeps the session whole), then what waited, then a new publisher
  // ICE path if the old one broke meanwhile (the server restarts the
  // subscriber's itself).
  signal_.send(syncState());
  for (const auto& request : std::exchange(held_, {})) signal_.send(request);
  if (publisher_ && !publisher_->connected()) publisher_->restartIce();
  listener_.onResumed(resumeAttempts_);
}

livekit::SignalRequest Room::syncState() const {
  livekit::SignalRequest request;
  auto& sync = *request.mutable_sync_state();
  for (const auto& track : tracks_) {
    if (track->sid_.empty()) continue;
    auto& published = *sync.add_publish_tracks();
    published.set_cid(track->cid_);
    published.mutable_track()->set_sid(track->sid_);
    published.mutable_track()->set_name(track->options_.name);
    published.mutable_track()->set_type(livekit::AUDIO);
    published.mutable_track()->set_source(track->options_.source);
  }
  auto& subscription = *sync.mutable_subscription();
  subscription.set_subscribe(true);
  for (const auto& track : remoteTracks()) subscription.add_track_sids(track.trackSid);
  return request;
}

void Room::rejoin(const std::string& reason) {
  if (finished_) return;
  if (!rejoining_) {
    common::logger("client")->info("room {}: {}: joining again", join_.room().name(), reason);
    rejoining_ = true;
    resuming_ = false;
    rejoinAttempts_ = 0;
    joined_ = false;
    signal_.close();
    // The old session's media is gone with it.
    if (subscriber_) {
      for (const auto& track : subscriber_->tracks()) listener_.onTrackUnsubscribed(track);
      subscriber_->close();
    }
    if (publisher_) publisher_->close();
    subscriber_.reset();
    publisher_.reset();
    for (auto& track : tracks_) {
      track->sid_.clear();
      track->mid_.clear();
      track->negotiated_ = false;
    }
    // What was held for the old session is stale: the rejoin sends afresh.
    held_.clear();
    heldOverflowed_ = false;
  }
  if (rejoinAttempts_ >= static_cast<int>(kRejoinDelays.size())) {
    return fail("signal connection: " + lostBecause_ + "; not rejoined after " + std::to_string(rejoinAttempts_) +
                " attempts (last: " + reason + ")");
  }
  resumeTimer_.expires_after(kRejoinDelays[static_cast<size_t>(rejoinAttempts_)]);
  ++rejoinAttempts_;
  resumeTimer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    if (ec || alive.expired() || finished_) return;
    std::string error;
    if (!signal_.connect(options_.url, options_.token, options_.signal, error)) fail("signal connection: " + error);
  });
}

void Room::onRejoinedJoin() {
  rejoining_ = false;
  identities_.clear();
  identities_[join_.participant().sid()] = join_.participant().identity();
  noteParticipants(join_.other_participants());
  if (options_.dataChannels || !tracks_.empty()) {
    if (!startPublisher()) return;
  }
  for (const auto& track : tracks_) signal_.send(addTrackRequest(*track));
  if (lastMetadata_) signal_.send(*lastMetadata_);
  common::logger("client")->info("room {}: joined again as {} ({}) after {} attempt{}", join_.room().name(),
                                 localIdentity(), localSid(), rejoinAttempts_, rejoinAttempts_ == 1 ? "" : "s");
  listener_.onRejoined(join_);
}

void Room::fail(const std::string& reason) {
  if (finished_) return;
  finished_ = true;
  resumeTimer_.cancel();
  signal_.close();
  if (subscriber_) subscriber_->close();
  if (publisher_) publisher_->close();
  listener_.onDisconnected(reason);
}

LocalAudioTrack::LocalAudioTrack(Room& room, std::string cid, AudioTrackOptions options, uint32_t ssrc)
    : room_(room), cid_(std::move(cid)), options_(std::move(options)), ssrc_(ssrc) {
  std::random_device random;
  sequence_ = static_cast<uint16_t>(random());
  timestamp_ = static_cast<uint32_t>(random());
}

bool LocalAudioTrack::live() const { return negotiated_ && room_.publisher_ && room_.publisher_->connected(); }

bool LocalAudioTrack::sendOpus(std::span<const uint8_t> frame, uint32_t samples,
                               std::span<const rtc::RtpExtensionEntry> extra) {
  if (!live()) return false;
  std::array<rtc::RtpExtensionEntry, 8> extensions{};
  size_t count = 0;
  extensions[count++] = {4, {reinterpret_cast<const uint8_t*>(mid_.data()), mid_.size()}};
  for (const auto& e : extra) {
    if (count == extensions.size()) break;
    extensions[count++] = e;
  }
  rtc::RtpHeader header;
  header.marker = talkspurt_;
  header.payloadType = 111;
  header.sequenceNumber = sequence_;
  header.timestamp = timestamp_;
  header.ssrc = ssrc_;
  auto headerSize = rtc::buildRtpHeader(header, std::span(extensions.data(), count), packet_);
  if (!headerSize || *headerSize + frame.size() + rtc::kSrtpMaxTrailer > packet_.size()) return false;
  std::copy(frame.begin(), frame.end(), packet_.begin() + static_cast<long>(*headerSize));
  // The clock advances whether or not this packet makes it out.
  ++sequence_;
  timestamp_ += samples;
  if (!room_.publisher_->sendRtp(packet_, *headerSize + frame.size())) return false;
  ++packetsSent_;
  octetsSent_ += frame.size();
  talkspurt_ = false;
  return true;
}

}  // namespace convox::client

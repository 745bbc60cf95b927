#pragma once

// A participant in a LiveKit room, as the SDKs are one: the signal
// connection, the publisher peer connection (we offer: our tracks and the
// _reliable/_lossy data channels) and the subscriber peer connection (the
// server offers the tracks we receive; we answer). Everything runs on one
// thread: the rtc::EventLoop that owns the transports, which also drives
// the io_context of the signal connection (client/loop_driver.hpp).
//
// Media is RTP in and out with nothing in between: a LocalAudioTrack turns
// encoded Opus frames into RTP; received packets reach the listener as
// parsed views over the receive buffer. Decoding, jitter buffering and
// pacing are the caller's.

#include "client/signal_client.hpp"
#include "proto/livekit_models.pb.h"
#include "rtc/dtls_certificate.hpp"
#include "rtc/event_loop.hpp"
#include "rtc/rtp_packet.hpp"
#include "rtc/sdp.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace convox::client {

struct RoomOptions {
  std::string url;  // ws(s)://host:port[/prefix]
  std::string token;
  SignalOptions signal;
  std::vector<std::string> iceAddresses;                    // local addresses ICE gathers on; empty: every interface
  std::shared_ptr<const rtc::DtlsCertificate> certificate;  // shared by many rooms; generated when null
  bool dataChannels = true;                                 // _reliable and _lossy on the publisher connection
  // Keep RED for audio when the server offers it. Off: the answer declines
  // it, so the server sends plain Opus.
  bool acceptRed = false;
};

struct RemoteTrack {
  std::string participantSid;
  std::string participantIdentity;  // empty until the participant's info arrives
  std::string trackSid;
  std::string mid;
  rtc::MediaKind kind = rtc::MediaKind::Audio;
  uint32_t ssrc = 0;
  uint8_t payloadType = 0;     // of the codec
  uint8_t redPayloadType = 0;  // 0: no RED
  std::string codec;           // "opus", "VP8"
  uint32_t clockRate = 0;
};

struct AudioTrackOptions {
  std::string name = "microphone";
  livekit::TrackSource source = livekit::MICROPHONE;
  bool dtx = true;
  // Extra one-byte header extensions the track's packets may carry (ids 5..14),
  // announced in the offer.
  std::vector<rtc::Extmap> extensions;
};

class RoomListener {
 public:
  virtual ~RoomListener() = default;
  virtual void onJoined(const livekit::JoinResponse& /*join*/) {}
  // The publisher connection is up: data can be sent and tracks published.
  virtual void onConnected() {}
  // Once: the server closed, the network failed, or a leave arrived.
  virtual void onDisconnected(const std::string& /*reason*/) {}
  // The signal connection dropped and the session was resumed on a new one
  // (media went on meanwhile); `attempts` connections it took.
  virtual void onResumed(int /*attempts*/) {}
  // The session could not be resumed and the room was joined again from
  // scratch: a new participant sid, new peer connections, our tracks
  // published again (same LocalAudioTrack objects, new sids) and our last
  // name/metadata/attributes sent again. Remote tracks were unsubscribed
  // before and are subscribed again after.
  virtual void onRejoined(const livekit::JoinResponse& /*join*/) {}
  // Every signal message, after the room has acted on it (participant
  // updates, speakers, track_published...).
  virtual void onSignal(const livekit::SignalResponse& /*message*/) {}
  virtual void onTrackSubscribed(const RemoteTrack& /*track*/) {}
  virtual void onTrackUnsubscribed(const RemoteTrack& /*track*/) {}
  virtual void onRtp(const RemoteTrack& /*track*/, const rtc::RtpPacketView& /*packet*/) {}
  virtual void onData(const livekit::DataPacket& /*packet*/, bool /*reliable*/) {}
};

class Room;

// One published audio track. Owned by its Room; valid until the Room goes.
class LocalAudioTrack {
 public:
  const std::string& cid() const { return cid_; }
  const std::string& sid() const { return sid_; }  // empty until the server published it
  uint32_t ssrc() const { return ssrc_; }
  bool live() const;  // published and the publisher connection is up
  // One encoded frame of `samples` 48 kHz samples as one RTP packet. False
  // when it could not be sent (not live yet, or too large).
  bool sendOpus(std::span<const uint8_t> frame, uint32_t samples, std::span<const rtc::RtpExtensionEntry> extra = {});
  uint64_t packetsSent() const { return packetsSent_; }
  // Time passes without a packet (nothing to say): the RTP clock moves on,
  // and the next packet starts a talkspurt (marker bit).
  void advance(uint32_t samples) {
    timestamp_ += samples;
    talkspurt_ = true;
  }

 private:
  friend class Room;
  friend class PublisherConnection;
  LocalAudioTrack(Room& room, std::string cid, AudioTrackOptions options, uint32_t ssrc);

  Room& room_;
  const std::string cid_;
  const AudioTrackOptions options_;
  const uint32_t ssrc_;
  std::string sid_;
  std::string mid_;
  bool negotiated_ = false;
  uint16_t sequence_ = 0;
  uint32_t timestamp_ = 0;
  uint64_t packetsSent_ = 0;
  uint64_t octetsSent_ = 0;
  bool talkspurt_ = true;
  std::vector<uint8_t> packet_ = std::vector<uint8_t>(1500);
};

class PublisherConnection;
class SubscriberConnection;

class Room final : SignalListener {
 public:
  Room(rtc::EventLoop& loop, boost::asio::io_context& io, RoomListener& listener, RoomOptions options);
  ~Room() override;
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  bool connect(std::string& error);
  // A client-initiated leave; no onDisconnected follows.
  void disconnect();

  // Sends add_track (call it once joined); the track goes into the next
  // offer once the server has published it.
  LocalAudioTrack& publishAudio(AudioTrackOptions options);
  // A DataPacket on _reliable or _lossy; false before the channel is open.
  bool sendData(const livekit::DataPacket& packet, bool reliable);
  // Name, metadata, attributes (UpdateParticipantMetadata), for our own participant.
  void updateParticipant(const std::string& name, const std::string& metadata,
                         const std::map<std::string, std::string>& attributes);
  // Held while the signal connection is being resumed, sent once it is.
  void sendSignal(const livekit::SignalRequest& request);

  bool joined() const { return joined_; }
  bool publisherConnected() const;
  // The _reliable channel is open for sendData.
  bool dataReady() const;
  bool subscriberConnected() const;
  const livekit::JoinResponse& joinResponse() const { return join_; }
  const std::string& localSid() const { return join_.participant().sid(); }
  const std::string& localIdentity() const { return join_.participant().identity(); }
  const std::vector<RemoteTrack>& remoteTracks() const;
  // The identity of a participant the room has heard of; empty if none.
  std::string identityOf(const std::string& participantSid) const;

 private:
  friend class PublisherConnection;
  friend class SubscriberConnection;
  friend class LocalAudioTrack;

  void onSignalMessage(const livekit::SignalResponse& message) override;
  void onSignalClosed(const std::string& reason) override;
  // The SDKs' resume: the same participant on a new signal connection
  // (reconnect=1&sid=), tried a few times with back-off while the server
  // keeps the session (signal.resume_window); the server then restarts the
  // subscriber connection's ICE. When the server refuses (a leave asking
  // for a reconnect) or the attempts run out, a full rejoin as the SDKs do
  // it: new peer connections, join again, publish our tracks again.
  void resumeSignal(const std::string& reason);
  void onResumed();
  livekit::SignalRequest syncState() const;
  void rejoin(const std::string& reason);
  void onRejoinedJoin();
  static livekit::SignalRequest addTrackRequest(const LocalAudioTrack& track);
  void noteParticipants(const google::protobuf::RepeatedPtrField<livekit::ParticipantInfo>& participants);
  bool startPublisher();
  void fail(const std::string& reason);

  rtc::EventLoop& loop_;
  RoomListener& listener_;
  RoomOptions options_;
  SignalClient signal_;
  livekit::JoinResponse join_;
  std::unique_ptr<PublisherConnection> publisher_;
  std::unique_ptr<SubscriberConnection> subscriber_;
  std::vector<std::unique_ptr<LocalAudioTrack>> tracks_;
  std::map<std::string, std::string> identities_;  // participant sid -> identity
  bool joined_ = false;
  bool finished_ = false;
  bool resuming_ = false;
  bool rejoining_ = false;
  bool heldOverflowed_ = false;
  int resumeAttempts_ = 0;
  int rejoinAttempts_ = 0;
  std::optional<livekit::SignalRequest> lastMetadata_;  // sent again after a rejoin
  std::string lostBecause_;                             // why the signal connection dropped
  std::vector<livekit::SignalRequest> held_;            // sent while resuming
  boost::asio::steady_timer resumeTimer_;
  // A timer handler already queued when we go runs anyway: it checks this.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::client

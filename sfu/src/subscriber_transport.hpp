#pragma once

// A participant's subscriber peer connection, server side: the server offers
// one sendonly section per subscribed track and the client answers. Lives on
// the room's media thread. Sections of removed tracks turn inactive and are
// reused for the next track of the same kind, as LiveKit does, so the SDP
// does not grow without bound.

#include "down_track.hpp"
#include "media_room.hpp"
#include "media_worker.hpp"
#include "rtc/sdp.hpp"
#include "rtc/webrtc_transport.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convox::sfu {

struct SubscriberCallbacks {
  std::function<void(std::string sdp, uint32_t id, std::map<std::string, std::string> midToTrackId)> offer;
  std::function<void(std::string reason)> failed;
  std::function<void()> connected;
};

struct SubscribeRequest {
  std::string trackSid;
  std::string publisherSid;
  bool stereo = false;
};

class SubscriberTransport final : public rtc::WebRtcTransportListener,
                                  public DownTrackSink,
                                  public SubscriberQualitySource,
                                  public std::enable_shared_from_this<SubscriberTransport> {
 public:
  SubscriberTransport(MediaWorker& worker, std::shared_ptr<MediaRoom> room, std::string participantSid,
                      SubscriberCallbacks callbacks);
  ~SubscriberTransport() override;

  void subscribe(const SubscribeRequest& request);
  void unsubscribe(const std::string& trackSid);
  // UpdateTrackSettings.
  void updateSettings(const std::string& trackSid, const DownTrackSettings& settings);

  void handleAnswer(const std::string& sdp, uint32_t id);
  // The client resumed (its network may have changed): as LiveKit does, the
  // server restarts this connection's ICE and offers again.
  void restartIce();
  // A trickled candidate line ("candidate:...").
  void addRemoteCandidate(const std::string& candidate);
  void close();

  // SubscriberQualitySource
  const std::string& participantSid() const override { return participantSid_; }
  void sampleQuality(QualityInputs& into) override;

 private:
  // DownTrackSink
  void sendRtp(std::span<uint8_t> buffer, size_t length) override;
  void onUpTrackClosed(DownTrack& downTrack) override;

  // WebRtcTransportListener
  void onGatheringDone() override;
  void onTransportState(rtc::TransportState state, const std::string& reason) override;
  void onRtcp(std::span<uint8_t> packet) override;

  // What the subscriber's last Receiver Report said about a section's stream.
  struct RemoteReport {
    uint8_t fractionLost = 0;
    uint32_t jitter = 0;  // RTP units
    std::optional<int64_t> roundTripMicros;
    bool fresh = false;  // arrived since the last quality sample
  };
  struct Section {
    std::string mid;
    rtc::MediaKind kind = rtc::MediaKind::Audio;
    std::unique_ptr<DownTrack> downTrack;  // null: inactive, free for reuse
    rtc::Codec codec;
    std::optional<rtc::Codec> rtx;  // video: offered with the codec
    std::optional<rtc::Codec> red;  // audio of a RED up-track: offered before the codec
    std::string trackSid;
    std::string publisherSid;
    RemoteReport report;
  };

  bool startTransport();
  void negotiate();
  void negotiateSoon();
  std::string buildOffer() const;
  DownTrack* findBySsrc(uint32_t ssrc);
  void armSenderReports();
  void sendSenderReports();
  void onReportBlock(const rtc::ReportBlock& block);

  // Passed by argument.
  MediaWorker& worker_;
  std::shared_ptr<MediaRoom> room_;
  const std::string participantSid_;
  SubscriberCallbacks callbacks_;
  // Allocated by this.
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  // Others.
  std::vector<Section> sections_;
  std::map<std::string, DownTrackSettings> settings_;  // the last UpdateTrackSettings by track sid
  uint32_t nextMid_ = 0;
  uint32_t offerId_ = 0;
  bool gathered_ = false;
  bool awaitingAnswer_ = false;
  bool renegotiate_ = false;
  bool negotiationScheduled_ = false;
  bool remoteSet_ = false;
  bool restartIceAfterAnswer_ = false;  // asked while an offer was out
  bool closed_ = false;
  bool reportsArmed_ = false;
  bool qualityRegistered_ = false;
};

}  // namespace convox::sfu

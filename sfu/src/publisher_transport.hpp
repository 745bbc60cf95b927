#pragma once

// A participant's publisher peer connection, server side: the client offers,
// we answer. Lives on a media thread; everything it reports goes through
// the callbacks, on that thread.
//
// It carries the data channels LiveKit clients open (_reliable, _lossy,
// _data_track) and the tracks they publish: each sending audio/video section
// is matched to its AddTrackRequest by msid (the request's cid), becomes an
// UpTrack in the room, and its RTP is demultiplexed to it by SSRC (learnt
// from a=ssrc or the mid/rid header extensions).

#include "forwarding/twcc_recorder.hpp"
#include "forwarding/unbound_ssrcs.hpp"
#include "media_room.hpp"
#include "media_worker.hpp"
#include "rtc/sdp.hpp"
#include "rtc/sdp_transport.hpp"
#include "rtc/webrtc_transport.hpp"
#include "track_negotiation.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace convox::sfu {

struct PublisherCallbacks {
  std::function<void(std::string sdp, uint32_t id)> answer;
  std::function<void(std::string reason)> failed;
  std::function<void()> connected;
  // A message on _reliable (reliable = true) or _lossy.
  std::function<void(std::string bytes, bool reliable)> data;
  // A track's section was negotiated: it is live in the room.
  std::function<void(std::string cid, std::string sid, std::string mid)> trackPublished;
  // The client stopped sending a track (its section lost the msid or stopped).
  std::function<void(std::string sid)> trackUnpublished;
};

class PublisherTransport final : public rtc::WebRtcTransportListener,
                                 public std::enable_shared_from_this<PublisherTransport> {
 public:
  PublisherTransport(MediaWorker& worker, std::shared_ptr<MediaRoom> room, PublisherCallbacks callbacks);

  // An AddTrackRequest the server accepted; its section comes with an offer.
  void expectTrack(PublishRequest request);
  void setTrackMuted(const std::string& sid, bool muted);

  void handleOffer(const std::string& sdp, uint32_t id);
  // A trickled candidate line ("candidate:...").
  void addRemoteCandidate(const std::string& candidate);
  // Sends a DataPacket to the client on _reliable or _lossy.
  void sendData(const std::string& bytes, bool reliable);
  void close();

 private:
  void onGatheringDone() override;
  void onTransportState(rtc::TransportState state, const std::string& reason) override;
  void onDataChannelOpen(uint16_t id, const std::string& label, const rtc::DataChannelOptions& options) override;
  void onDataChannelMessage(uint16_t id, std::span<const uint8_t> data, bool binary) override;
  void onDataChannelClosed(uint16_t id) override;
  void onRtp(std::span<uint8_t> packet) override;
  void onRtcp(std::span<uint8_t> packet) override;

  struct PublishedSection {
    std::shared_ptr<UpTrack> track;
    PublishRequest request;
    rtc::Codec codec;
    std::optional<rtc::Codec> red;  // audio sent as RFC 2198 RED over `codec`
    uint8_t midExtension = 0;
    uint8_t ridExtension = 0;
    std::vector<uint32_t> ssrcs;  // from a=ssrc, when the offer lists them
  };
  struct SsrcBinding {
    uint32_t ssrc = 0;
    UpTrack* track = nullptr;
    uint8_t payloadType = 0;
    uint8_t redPayloadType = 0;  // 0: none
    int layer = 0;
  };
  void reconcileTracks();
  void publishSection(const rtc::MediaSection& offered, PublishRequest request);
  void unpublishSection(const std::string& mid);
  const SsrcBinding* bind(const rtc::RtpPacketView& packet);
  void sendKeyframeRequest(uint32_t ssrc);
  void sendNack(uint32_t ssrc, std::span<const uint16_t> lost);
  // Runs `task` every `interval` until the transport closes.
  void repeat(std::chrono::milliseconds interval, void (PublisherTransport::*task)());
  void sendReceiverReports();
  void armTransportFeedback();
  void sendTransportFeedback();

  std::string buildAnswer() const;
  void answerIfReady();

  MediaWorker& worker_;
  std::shared_ptr<MediaRoom> room_;
  PublisherCallbacks callbacks_;
  std::unique_ptr<rtc::WebRtcTransport> transport_;
  rtc::SessionDescription offer_;
  std::optional<uint32_t> pendingAnswerId_;
  rtc::SetupRole localSetup_ = rtc::SetupRole::Passive;
  bool gathered_ = false;
  bool reportsArmed_ = false;
  bool feedbackArmed_ = false;
  bool closed_ = false;
  std::map<uint16_t, std::string> channels_;          // stream id -> label
  std::map<std::string, PublishRequest> expected_;    // by cid, until its section arrives
  std::map<std::string, PublishedSection> sections_;  // by mid
  std::vector<SsrcBinding> bindings_;                 // a handful per publisher: linear search
  UnboundSsrcs unbound_;                              // SSRCs that failed to bind lately
  TwccRecorder twcc_;
  uint8_t twccExtension_ = 0;  // one id for the whole bundle
  uint32_t twccMediaSsrc_ = 0;
};

}  // namespace convox::sfu

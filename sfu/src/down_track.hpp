#pragma once

// One subscriber's copy of a published track, on the room's media thread.
// It rewrites what the up-track receives into a single outgoing stream: its
// own SSRC and payload type, contiguous sequence numbers and a continuous
// timestamp across mute, layer switches and publisher restarts, and the
// simulcast layer this subscriber should see.

#include "forwarding/nack_responder.hpp"
#include "forwarding/rtp_munger.hpp"
#include "forwarding/simulcast_selector.hpp"
#include "forwarding/vp8_munger.hpp"
#include "rtc/rtcp_feedback.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/rtp_packet.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace convox::sfu {

class UpTrack;
class DownTrack;

// Where a down-track sends; implemented by the subscriber transport.
class DownTrackSink {
 public:
  virtual ~DownTrackSink() = default;
  // Protects and sends the packet in the first `length` bytes of `buffer`.
  virtual void sendRtp(std::span<uint8_t> buffer, size_t length) = 0;
  // The up-track went away (unpublished, publisher left).
  virtual void onUpTrackClosed(DownTrack& downTrack) = 0;
};

// UpdateTrackSettings for one track: disabled forwards nothing; otherwise a
// width/height (when non-zero) or else the quality picks the simulcast layer.
struct DownTrackSettings {
  bool disabled = false;
  uint8_t quality = 2;  // LiveKit VideoQuality, LOW 0 .. HIGH 2, OFF 3
  uint32_t width = 0;
  uint32_t height = 0;
};

struct DownTrackParameters {
  uint32_t ssrc = 0;
  uint8_t payloadType = 0;
  uint32_t clockRate = 48000;
  std::string mid;
  // RTX offered for this track (video); used once the answer keeps it.
  uint32_t rtxSsrc = 0;
  uint8_t rtxPayloadType = 0;
  // RED offered for a RED up-track (audio); used once the answer keeps it.
  uint8_t redPayloadType = 0;
};

class DownTrack {
 public:
  // Call updateTarget() once created: a simulcast down-track forwards nothing
  // before it has a target.
  DownTrack(std::shared_ptr<UpTrack> upTrack, DownTrackSink& sink, DownTrackParameters parameters);
  ~DownTrack();
  DownTrack(const DownTrack&) = delete;
  DownTrack& operator=(const DownTrack&) = delete;

  const DownTrackParameters& parameters() const { return parameters_; }
  const std::shared_ptr<UpTrack>& upTrack() const { return upTrack_; }

  // From the up-track, for every packet of every layer.
  void forward(const rtc::RtpPacketView& packet, int layer, bool keyframe, int64_t nowMicros);
  void onUpTrackClosed();

  // Subscriber feedback.
  void onKeyframeRequest(int64_t nowMicros);
  // Resends what the NACK asks for from the up-track's retransmission
  // buffer, under the sequence numbers the subscriber knows.
  void onNack(const rtc::NackView& nack, int64_t nowMicros);
  // The subscriber's answer kept the offered rtx codec: resends go as RTX.
  void setRtxNegotiated(bool negotiated) { rtx_ = negotiated && parameters_.rtxSsrc != 0; }
  bool rtxNegotiated() const { return rtx_; }
  // The subscriber's answer kept the offered red: RED packets go as they
  // are; otherwise only their primary Opus block is sent.
  void setRedNegotiated(bool negotiated) { red_ = negotiated && parameters_.redPayloadType != 0; }
  // Our Sender Report for this stream; nullopt before the first packet.
  std::optional<rtc::SenderInfo> senderInfo(int64_t nowMicros) const;

  // The next packet starts a new segment: sequence numbers continue without
  // a gap (after a pause nothing was lost).
  void restartSegment() { munger_.rebaseAtNextPacket(); }
  void applySettings(const DownTrackSettings& settings, int64_t nowMicros);
  // Re-targets the simulcast layer from the up-track's live layers and asks
  // for the target's key frame while waiting for one. Called on settings
  // changes and on the room's layer timer, never per packet.
  void updateTarget(int64_t nowMicros);
  // The highest layer this subscriber wants (for dynacast):
  // DynacastQuality::kNone when disabled or detached.
  int wantedQuality() const;
  int currentLayer() const { return currentLayer_; }
  // Simulcast only: the layer the subscriber should get (kNoLayer: none).
  uint8_t targetLayer() const { return selector_.target(); }

  uint64_t packetsSent() const { return munger_.packetsSent(); }
  uint64_t retransmissions() const { return retransmissions_; }

 private:
  void rewriteVp8(const rtc::RtpPacketView& copy, uint32_t sourceSsrc);
  bool rewriteRetransmittedVp8(std::span<uint8_t> packet, uint32_t sourceSsrc);

  // Passed by argument.
  std::shared_ptr<UpTrack> upTrack_;
  DownTrackSink& sink_;
  const DownTrackParameters parameters_;
  // Others.
  int currentLayer_ = -1;
  bool disabled_ = false;
  bool simulcast_ = false;
  bool vp8_ = false;
  // The next VP8 packet forwarded comes from a new source (first packet, a
  // layer switch or a publisher restart): its picture ids are re-based.
  bool vp8SourceSwitched_ = true;
  uint32_t lastSourceSsrc_ = 0;
  SimulcastSelector selector_;
  Vp8Munger vp8Munger_;
  bool attached_ = true;
  RtpMunger munger_;
  NackResponder nacks_;
  uint64_t retransmissions_ = 0;
  bool rtx_ = false;
  bool red_ = false;
  uint16_t rtxSequenceNumber_ = randomSequenceNumber();
};

}  // namespace convox::sfu

#pragma once

// One subscriber's copy of a published track, on the room's media thread.
// It rewrites what the up-track receives into a single outgoing stream: its
// own SSRC and payload type, contiguous sequence numbers and a continuous
// timestamp across mute, layer switches and publisher restarts, and the
// simulcast layer this subscriber should see.

#include "forwarding/nack_responder.hpp"
#include "forwarding/rtp_munger.hpp"
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

struct DownTrackParameters {
  uint32_t ssrc = 0;
  uint8_t payloadType = 0;
  uint32_t clockRate = 48000;
  std::string mid;
};

class DownTrack {
 public:
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
  // Our Sender Report for this stream; nullopt before the first packet.
  std::optional<rtc::SenderInfo> senderInfo(int64_t nowMicros) const;

  // UpdateTrackSettings: a disabled track forwards nothing; the quality
  // caps the simulcast layer (0 LOW .. 2 HIGH).
  // The next packet starts a new segment: sequence numbers continue without
  // a gap (after a pause nothing was lost).
  void restartSegment() { munger_.rebaseAtNextPacket(); }
  void setDisabled(bool disabled) {
    // Back from a pause: what passed meanwhile must not look like loss.
    if (disabled_ && !disabled) munger_.rebaseAtNextPacket();
    disabled_ = disabled;
  }
  void setMaxLayer(int layer) { maxLayer_ = layer; }
  int currentLayer() const { return currentLayer_; }

  uint64_t packetsSent() const { return munger_.packetsSent(); }
  uint64_t retransmissions() const { return retransmissions_; }

 private:
  int targetLayer(int64_t nowMicros) const;

  // Passed by argument.
  std::shared_ptr<UpTrack> upTrack_;
  DownTrackSink& sink_;
  const DownTrackParameters parameters_;
  // Others.
  int currentLayer_ = -1;
  int maxLayer_ = 2;
  bool disabled_ = false;
  bool attached_ = true;
  RtpMunger munger_;
  NackResponder nacks_;
  uint64_t retransmissions_ = 0;
};

}  // namespace convox::sfu

#pragma once

// A published track on its room's media thread. It receives the publisher's
// decrypted RTP (one source per simulcast layer) and hands every packet to
// its down-tracks, one per subscriber. Nothing here allocates per packet.

#include "forwarding/connection_quality.hpp"
#include "forwarding/dynacast_quality.hpp"
#include "forwarding/keyframe.hpp"
#include "forwarding/retransmission_buffer.hpp"
#include "forwarding/simulcast_selector.hpp"
#include "rtc/nack_generator.hpp"
#include "rtc/receive_stats.hpp"
#include "rtc/rtp_packet.hpp"
#include "rtc/sdp.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace convox::sfu {

class DownTrack;

enum class TrackKind : uint8_t { Audio, Video };

inline constexpr int kMaxLayers = 3;  // LiveKit's LOW, MEDIUM, HIGH

struct UpTrackParameters {
  std::string sid;           // TR_...
  std::string publisherSid;  // PA_...
  TrackKind kind = TrackKind::Audio;
  rtc::Codec codec;            // as negotiated with the publisher
  uint8_t audioLevelId = 0;    // ssrc-audio-level extension id; 0 = none
  uint8_t redPayloadType = 0;  // audio: packets of this type are RFC 2198 RED over `codec`; 0 = none
  bool simulcast = false;
  // The publisher's simulcast layers (AddTrackRequest.layers), for choosing
  // a layer by the size a subscriber renders at.
  std::vector<SimulcastLayer> layers;
};

class UpTrack {
 public:
  // Asks the publisher for a key frame on `ssrc` (a PLI on its transport).
  using KeyframeRequester = std::function<void(uint32_t ssrc)>;
  // Reports the publisher's audio level (RFC 6464, 0 loud .. 127 silent).
  using AudioLevelObserver = std::function<void(uint8_t level, bool voice, int64_t nowMicros)>;
  // Asks the publisher to resend `lost` of `ssrc` (a generic NACK on its transport).
  using NackSender = std::function<void(uint32_t ssrc, std::span<const uint16_t> lost)>;

  UpTrack(UpTrackParameters parameters, KeyframeRequester keyframes);
  ~UpTrack();
  UpTrack(const UpTrack&) = delete;
  UpTrack& operator=(const UpTrack&) = delete;

  const UpTrackParameters& parameters() const { return parameters_; }
  const std::string& sid() const { return parameters_.sid; }
  TrackKind kind() const { return parameters_.kind; }
  const rtc::Codec& codec() const { return parameters_.codec; }
  void setAudioLevelObserver(AudioLevelObserver observer) { audioLevels_ = std::move(observer); }
  // Video only: upstream loss is asked for again through `sender`.
  void setNackSender(NackSender sender) { nackSender_ = std::move(sender); }

  // A packet of simulcast `layer` (0 without simulcast).
  void onRtp(rtc::RtpPacketView& packet, int layer, int64_t nowMicros);

  // The publisher's Sender Report for `ssrc` (one of this track's layers).
  void onSenderReport(uint32_t ssrc, uint64_t ntpTimestamp, int64_t nowMicros);
  // A report block per layer that has received packets, for our Receiver
  // Report to the publisher; returns how many were written into `out`.
  size_t makeReportBlocks(int64_t nowMicros, std::span<rtc::ReportBlock> out);
  // This track's loss and jitter since the previous call, for the
  // publisher's connection quality.
  void sampleQuality(QualityInputs& into);

  // A subscriber needs a key frame of `layer`; rate-limited per layer.
  void requestKeyframe(int layer, int64_t nowMicros);

  // Whether `layer` delivered a packet within the last second.
  bool layerLive(int layer, int64_t nowMicros) const;
  // Bit q set: layer q is live.
  uint8_t liveMask(int64_t nowMicros) const { return liveness_.liveMask(nowMicros); }
  VideoCodec videoCodec() const { return videoCodec_; }

  // On the room's layer timer (simulcast video): re-targets every
  // down-track's layer from the live layers and runs dynacast over what the
  // subscribers want. True when the layers the publisher should send changed;
  // then dynacastQuality() (DynacastQuality::kNone .. 2) is the new highest.
  bool updateLayers(int64_t nowMicros);
  int dynacastQuality() const { return dynacast_.published(); }

  // A packet this track received on `ssrc`, for a retransmission; empty
  // when it is no longer (or never was) in the buffer.
  std::span<const uint8_t> findPacket(uint32_t ssrc, uint16_t sequenceNumber) const;

  void setMuted(bool muted);
  bool muted() const { return muted_; }

  void addDownTrack(DownTrack* downTrack);
  void removeDownTrack(DownTrack* downTrack);
  // The publisher stopped publishing: every down-track is told and detached.
  void close();
  bool closed() const { return closed_; }

 private:
  void askForLost(int layer, uint32_t ssrc, uint16_t sequenceNumber, int64_t nowMicros);

  // Passed by argument.
  UpTrackParameters parameters_;  // only the layer list is completed at construction
  KeyframeRequester keyframes_;
  AudioLevelObserver audioLevels_;
  NackSender nackSender_;
  // Others.
  std::vector<DownTrack*> downTracks_;
  VideoCodec videoCodec_ = VideoCodec::Other;
  // Video only: the last packets of each layer, to answer NACKs.
  std::array<std::unique_ptr<RetransmissionBuffer>, kMaxLayers> retransmission_;
  SimulcastLiveness liveness_;
  DynacastQuality dynacast_;
  std::array<int64_t, kMaxLayers> lastKeyframeRequestMicros_{};
  std::array<rtc::ReceiveStats, kMaxLayers> receiveStats_{};
  std::array<rtc::NackGenerator, kMaxLayers> nackGenerators_{};
  std::array<IntervalCounter, kMaxLayers> qualityIntervals_{};
  bool muted_ = false;
  bool closed_ = false;
};

}  // namespace convox::sfu

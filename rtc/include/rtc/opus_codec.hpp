#pragma once

// libopus at WebRTC's settings: 48 kHz, 20 ms frames (960 samples per
// channel), mono or stereo. Encode/decode write into caller buffers and
// allocate nothing per frame.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

struct OpusEncoder;
struct OpusDecoder;

namespace convox::rtc {

inline constexpr int kOpusSampleRate = 48000;
inline constexpr int kOpusFrameSamples = 960;  // 20 ms at 48 kHz, per channel
inline constexpr size_t kOpusMaxPacketBytes = 1275;

struct OpusEncoderSettings {
  int channels = 1;
  int bitrate = 32000;
  bool dtx = false;        // send nothing (or comfort noise) in silence
  bool inbandFec = false;  // LBRR frames so the receiver can repair one loss
  int expectedLossPercent = 0;
  bool voice = true;  // OPUS_APPLICATION_VOIP, else AUDIO
};

class OpusFrameEncoder {
 public:
  // nullptr and `error` set if libopus refuses the settings.
  static std::unique_ptr<OpusFrameEncoder> create(const OpusEncoderSettings& settings, std::string& error);
  ~OpusFrameEncoder();

  // Encodes one 20 ms frame of interleaved PCM (960 * channels samples).
  // Returns the packet size, 0..2 for a DTX frame, or -1 on error.
  int encode(std::span<const int16_t> pcm, std::span<uint8_t> packet);
  int channels() const { return channels_; }

 private:
  OpusFrameEncoder(::OpusEncoder* enc, int channels) : enc_(enc), channels_(channels) {}
  ::OpusEncoder* enc_;
  int channels_;
};

class OpusFrameDecoder {
 public:
  static std::unique_ptr<OpusFrameDecoder> create(int channels, std::string& error);
  ~OpusFrameDecoder();

  // Decodes one packet into interleaved PCM; returns samples per channel or -1.
  int decode(std::span<const uint8_t> packet, std::span<int16_t> pcm);
  // Conceals one lost 20 ms frame; with `fecFrom` (the next packet), uses its
  // in-band FEC to rebuild the lost one.
  int conceal(std::span<int16_t> pcm, std::span<const uint8_t> fecFrom = {});
  int channels() const { return channels_; }

 private:
  OpusFrameDecoder(::OpusDecoder* dec, int channels) : dec_(dec), channels_(channels) {}
  ::OpusDecoder* dec_;
  int channels_;
};

}  // namespace convox::rtc

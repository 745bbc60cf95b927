#include "rtc/opus_codec.hpp"

#include <opus/opus.h>

namespace convox::rtc {

std::unique_ptr<OpusFrameEncoder> OpusFrameEncoder::create(const OpusEncoderSettings& s, std::string& error) {
  if (s.channels != 1 && s.channels != 2) {
    error = "opus channels must be 1 or 2";
    return nullptr;
  }
  int rc = OPUS_OK;
  auto* enc =
      opus_encoder_create(kOpusSampleRate, s.channels, s.voice ? OPUS_APPLICATION_VOIP : OPUS_APPLICATION_AUDIO, &rc);
  if (rc != OPUS_OK || !enc) {
    error = std::string("opus_encoder_create: ") + opus_strerror(rc);
    return nullptr;
  }
  for (int r : {opus_encoder_ctl(enc, OPUS_SET_BITRATE(s.bitrate)), opus_encoder_ctl(enc, OPUS_SET_DTX(s.dtx ? 1 : 0)),
                opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(s.inbandFec ? 1 : 0)),
                opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(s.expectedLossPercent))}) {
    if (r != OPUS_OK) {
      error = std::string("opus_encoder_ctl: ") + opus_strerror(r);
      opus_encoder_destroy(enc);
      return nullptr;
    }
  }
  return std::unique_ptr<OpusFrameEncoder>(new OpusFrameEncoder(enc, s.channels));
}

OpusFrameEncoder::~OpusFrameEncoder() { opus_encoder_destroy(enc_); }

int OpusFrameEncoder::encode(std::span<const int16_t> pcm, std::span<uint8_t> packet) {
  if (pcm.size() != static_cast<size_t>(kOpusFrameSamples) * static_cast<size_t>(channels_)) return -1;
  const int n = opus_encode(enc_, pcm.data(), kOpusFrameSamples, packet.data(),
                            static_cast<opus_int32>(std::min(packet.size(), kOpusMaxPacketBytes)));
  return n < 0 ? -1 : n;
}

std::unique_ptr<OpusFrameDecoder> OpusFrameDecoder::create(int channels, std::string& error) {
  if (channels != 1 && channels != 2) {
    error = "opus channels must be 1 or 2";
    return nullptr;
  }
  int rc = OPUS_OK;
  auto* dec = opus_decoder_create(kOpusSampleRate, channels, &rc);
  if (rc != OPUS_OK || !dec) {
    error = std::string("opus_decoder_create: ") + opus_strerror(rc);
    return nullptr;
  }
  return std::unique_ptr<OpusFrameDecoder>(new OpusFrameDecoder(dec, channels));
}

OpusFrameDecoder::~OpusFrameDecoder() { opus_decoder_destroy(dec_); }

int OpusFrameDecoder::decode(std::span<const uint8_t> packet, std::span<int16_t> pcm) {
  const int maxSamples = static_cast<int>(pcm.size()) / channels_;
  const int n = opus_decode(dec_, packet.data(), static_cast<opus_int32>(packet.size()), pcm.data(), maxSamples, 0);
  return n < 0 ? -1 : n;
}

int OpusFrameDecoder::conceal(std::span<int16_t> pcm, std::span<const uint8_t> fecFrom) {
  const int frame = std::min(kOpusFrameSamples, static_cast<int>(pcm.size()) / channels_);
  const int n = fecFrom.empty()
                    ? opus_decode(dec_, nullptr, 0, pcm.data(), frame, 0)
                    : opus_decode(dec_, fecFrom.data(), static_cast<opus_int32>(fecFrom.size()), pcm.data(), frame, 1);
  return n < 0 ? -1 : n;
}

}  // namespace convox::rtc

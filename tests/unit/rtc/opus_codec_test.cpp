#include "rtc/opus_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace convox::rtc;

namespace {

std::vector<int16_t> sine(double hz, int frames, int channels, int& phase) {
  std::vector<int16_t> pcm(static_cast<size_t>(kOpusFrameSamples * frames * channels));
  for (int i = 0; i < kOpusFrameSamples * frames; ++i, ++phase) {
    const auto v = static_cast<int16_t>(10000 * std::sin(2 * M_PI * hz * phase / kOpusSampleRate));
    for (int c = 0; c < channels; ++c) pcm[static_cast<size_t>(i * channels + c)] = v;
  }
  return pcm;
}

// Dominant frequency by scanning Goertzel power over 50..2000 Hz.
double dominantHz(const std::vector<int16_t>& pcm) {
  double best = 0, bestHz = 0;
  for (double hz = 50; hz <= 2000; hz += 5) {
    const double w = 2 * M_PI * hz / kOpusSampleRate;
    double s1 = 0, s2 = 0;
    for (int16_t x : pcm) {
      const double s = x + 2 * std::cos(w) * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    const double power = s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
    if (power > best) {
      best = power;
      bestHz = hz;
    }
  }
  return bestHz;
}

}  // namespace

TEST(Opus, A440HzToneSurvivesEncodeDecode) {
  std::string error;
  auto enc = OpusFrameEncoder::create({}, error);
  ASSERT_TRUE(enc) << error;
  auto dec = OpusFrameDecoder::create(1, error);
  ASSERT_TRUE(dec) << error;
  int phase = 0;
  std::vector<int16_t> decoded;
  std::vector<uint8_t> packet(kOpusMaxPacketBytes);
  std::vector<int16_t> out(kOpusFrameSamples);
  for (int f = 0; f < 50; ++f) {
    const auto frame = sine(440, 1, 1, phase);
    const int n = enc->encode(frame, packet);
    ASSERT_GT(n, 2);
    ASSERT_EQ(dec->decode({packet.data(), static_cast<size_t>(n)}, out), kOpusFrameSamples);
    if (f >= 10) decoded.insert(decoded.end(), out.begin(), out.end());
  }
  EXPECT_NEAR(dominantHz(decoded), 440, 10);
}

TEST(Opus, StereoAndConcealment) {
  std::string error;
  OpusEncoderSettings s;
  s.channels = 2;
  s.inbandFec = true;
  s.expectedLossPercent = 10;
  auto enc = OpusFrameEncoder::create(s, error);
  ASSERT_TRUE(enc) << error;
  auto dec = OpusFrameDecoder::create(2, error);
  ASSERT_TRUE(dec);
  int phase = 0;
  std::vector<uint8_t> packet(kOpusMaxPacketBytes);
  std::vector<int16_t> out(kOpusFrameSamples * 2);
  const int n = enc->encode(sine(1000, 1, 2, phase), packet);
  ASSERT_GT(n, 0);
  EXPECT_EQ(dec->decode({packet.data(), static_cast<size_t>(n)}, out), kOpusFrameSamples);
  EXPECT_EQ(dec->conceal(out), kOpusFrameSamples);
  EXPECT_EQ(dec->conceal(out, {packet.data(), static_cast<size_t>(n)}), kOpusFrameSamples);
}

TEST(Opus, BadInputIsRefused) {
  std::string error;
  OpusEncoderSettings s;
  s.channels = 3;
  EXPECT_FALSE(OpusFrameEncoder::create(s, error));
  EXPECT_FALSE(error.empty());
  auto enc = OpusFrameEncoder::create({}, error);
  std::vector<int16_t> shortFrame(100);
  std::vector<uint8_t> packet(kOpusMaxPacketBytes);
  EXPECT_EQ(enc->encode(shortFrame, packet), -1);
  auto dec = OpusFrameDecoder::create(1, error);
  std::vector<int16_t> out(kOpusFrameSamples);
  const uint8_t garbage[] = {0xFF, 0xFF, 0xFF};
  EXPECT_EQ(dec->decode(garbage, out), -1);
}

TEST(Opus, DtxSendsTinyFramesInSilence) {
  std::string error;
  OpusEncoderSettings s;
  s.dtx = true;
  auto enc = OpusFrameEncoder::create(s, error);
  std::vector<int16_t> silence(kOpusFrameSamples, 0);
  std::vector<uint8_t> packet(kOpusMaxPacketBytes);
  int smallest = 1000;
  for (int i = 0; i < 30; ++i) smallest = std::min(smallest, enc->encode(silence, packet));
  EXPECT_LE(smallest, 2);
}

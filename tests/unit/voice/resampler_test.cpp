#include "voice/resampler.hpp"

#include <gtest/gtest.h>

#include "alloc_counter.hpp"
#include "test_audio.hpp"

namespace convox::voice {
namespace {

// Streams `in` through a resampler in 20 ms chunks, as the pipeline does.
std::vector<int16_t> resampleStream(Resampler& r, const std::vector<int16_t>& in) {
  const size_t chunk = static_cast<size_t>(r.inputRate()) / 50;
  std::vector<int16_t> out;
  std::vector<int16_t> buf(r.maxOutputSamples(chunk));
  for (size_t at = 0; at < in.size(); at += chunk) {
    const size_t n = std::min(chunk, in.size() - at);
    const size_t got = r.process(std::span(in).subspan(at, n), buf);
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(got));
  }
  std::vector<int16_t> tail(r.maxOutputSamples(chunk) * 4);
  const size_t got = r.flush(tail);
  out.insert(out.end(), tail.begin(), tail.begin() + static_cast<long>(got));
  return out;
}

struct Case {
  int from;
  int to;
};

class ResamplerTone : public ::testing::TestWithParam<Case> {};

TEST_P(ResamplerTone, KeepsFrequencyAndDuration) {
  const auto [from, to] = GetParam();
  std::string error;
  auto r = Resampler::create(from, to, error);
  ASSERT_TRUE(r) << error;
  const auto in = test::sine(from, 440.0, 3.0);
  const auto out = resampleStream(*r, in);

  // Duration: 3 s at the new rate, within a millisecond.
  EXPECT_NEAR(static_cast<double>(out.size()), 3.0 * to, to / 1000.0);
  EXPECT_EQ(r->droppedSamples(), 0u);

  // Frequency: the middle second (away from the filter's edges) is still a
  // 440 Hz tone at the output rate, not 440 * from / to.
  const std::span<const int16_t> mid(out.data() + to, static_cast<size_t>(to));
  EXPECT_NEAR(test::zeroCrossingHz(mid, to), 440.0, 2.0);
  const double at440 = test::goertzel(mid, to, 440.0);
  EXPECT_GT(at440, 100.0 * test::goertzel(mid, to, 400.0));
  EXPECT_GT(at440, 100.0 * test::goertzel(mid, to, 480.0));
  // Level: a 0.5 full-scale sine has an RMS of 0.5 * 32767 / sqrt(2).
  EXPECT_NEAR(test::rms(mid), 0.5 * 32767 / std::sqrt(2.0), 300.0);
}

INSTANTIATE_TEST_SUITE_P(Rates, ResamplerTone,
                         ::testing::Values(Case{48000, 16000}, Case{16000, 48000}, Case{22050, 48000}),
                         [](const auto& info) {
                           return std::to_string(info.param.from) + "to" + std::to_string(info.param.to);
                         });

TEST(Resampler, GeneratedMediaToneAt16k) {
  const auto tone = test::media("tone_1000hz_3s.wav");
  ASSERT_EQ(tone.sampleRate, 48000);
  std::string error;
  auto r = Resampler::create(48000, 16000, error);
  ASSERT_TRUE(r) << error;
  const auto out = resampleStream(*r, tone.samples);
  EXPECT_NEAR(static_cast<double>(out.size()), tone.seconds() * 16000, 16.0);
  const std::span<const int16_t> mid(out.data() + 16000, 16000);
  EXPECT_NEAR(test::zeroCrossingHz(mid, 16000), 1000.0, 2.0);
}

TEST(Resampler, ResetStartsAFreshStream) {
  std::string error;
  auto r = Resampler::create(48000, 16000, error);
  ASSERT_TRUE(r) << error;
  const auto in = test::sine(48000, 440.0, 1.0);
  const auto first = resampleStream(*r, in);
  r->reset();
  const auto second = resampleStream(*r, in);
  EXPECT_EQ(first, second);
}

TEST(Resampler, NoAllocationPerFrame) {
  std::string error;
  auto r = Resampler::create(48000, 16000, error);
  ASSERT_TRUE(r) << error;
  const auto in = test::sine(48000, 440.0, 0.02);
  std::vector<int16_t> out(r->maxOutputSamples(960));
  r->process(in, out);  // soxr sizes its buffers on the first call
  test::AllocationScope scope;
  for (int i = 0; i < 200; ++i) r->process(in, out);
  EXPECT_EQ(scope.count(), 0u);
}

TEST(Resampler, RefusesBadRates) {
  std::string error;
  EXPECT_FALSE(Resampler::create(0, 16000, error));
  EXPECT_NE(error.find("positive"), std::string::npos);
}

}  // namespace
}  // namespace convox::voice

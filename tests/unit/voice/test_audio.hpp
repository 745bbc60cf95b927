#pragma once

// Test helpers for the voice stages: the generated media of
// tests/media/make_media.sh (made once by the build into CONVOX_TEST_MEDIA_DIR),
// a WAV reader for its 16-bit mono files, and signal measures.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace convox::voice::test {

struct Pcm {
  int sampleRate = 0;
  std::vector<int16_t> samples;
  double seconds() const { return static_cast<double>(samples.size()) / sampleRate; }
};

inline std::string mediaPath(const std::string& name) { return std::string(CONVOX_TEST_MEDIA_DIR) + "/" + name; }

// Reads a RIFF/WAVE file of 16-bit mono PCM; throws on anything else so a
// changed media recipe fails loudly instead of feeding garbage to a stage.
inline Pcm readWav(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  auto u16 = [&](size_t at) {
    uint16_t v;
    std::memcpy(&v, bytes.data() + at, 2);
    return v;
  };
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    throw std::runtime_error(path + ": not a WAVE file");
  Pcm pcm;
  size_t at = 12;
  while (at + 8 <= bytes.size()) {
    const uint32_t size = u32(at + 4);
    if (std::memcmp(bytes.data() + at, "fmt ", 4) == 0) {
      if (u16(at + 8) != 1 || u16(at + 10) != 1 || u16(at + 22) != 16)
        throw std::runtime_error(path + ": not 16-bit mono PCM");
      pcm.sampleRate = static_cast<int>(u32(at + 12));
    } else if (std::memcmp(bytes.data() + at, "data", 4) == 0) {
      const size_t n = std::min<size_t>(size, bytes.size() - at - 8) / 2;
      pcm.samples.resize(n);
      std::memcpy(pcm.samples.data(), bytes.data() + at + 8, n * 2);
    }
    at += 8 + size + (size & 1);
  }
  if (pcm.sampleRate == 0 || pcm.samples.empty()) throw std::runtime_error(path + ": no fmt or data chunk");
  return pcm;
}

inline Pcm media(const std::string& name) { return readWav(mediaPath(name)); }

inline std::vector<int16_t> sine(int sampleRate, double hz, double seconds, double amplitude = 0.5) {
  std::vector<int16_t> out(static_cast<size_t>(sampleRate * seconds));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<int16_t>(amplitude * 32767.0 * std::sin(2.0 * std::numbers::pi * hz * i / sampleRate));
  return out;
}

// Power of one frequency (Goertzel), normalised by length.
inline double goertzel(std::span<const int16_t> x, int sampleRate, double hz) {
  const double w = 2.0 * std::numbers::pi * hz / sampleRate;
  const double c = 2.0 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (int16_t v : x) {
    const double s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (static_cast<double>(x.size()) * x.size());
}

// Frequency of a pure tone from its rising zero crossings.
inline double zeroCrossingHz(std::span<const int16_t> x, int sampleRate) {
  int crossings = 0;
  for (size_t i = 1; i < x.size(); ++i)
    if (x[i - 1] < 0 && x[i] >= 0) ++crossings;
  return crossings * static_cast<double>(sampleRate) / static_cast<double>(x.size());
}

inline double rms(std::span<const int16_t> x) {
  if (x.empty()) return 0;
  double sum = 0;
  for (int16_t v : x) sum += static_cast<double>(v) * v;
  return std::sqrt(sum / static_cast<double>(x.size()));
}

}  // namespace convox::voice::test

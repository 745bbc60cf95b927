#include "prompt_audio.hpp"

#include "rtc/opus_codec.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

namespace convox::bench {

namespace {

uint32_t le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// The samples of the file's data chunk, after checking its fmt chunk.
std::optional<std::vector<int16_t>> readWav(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return std::nullopt;
  }
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    error = path + ": not a RIFF/WAVE file";
    return std::nullopt;
  }
  bool formatOk = false;
  for (size_t at = 12; at + 8 <= bytes.size();) {
    const uint32_t size = le32(&bytes[at + 4]);
    const uint8_t* body = &bytes[at + 8];
    if (at + 8 + size > bytes.size()) break;
    if (std::memcmp(&bytes[at], "fmt ", 4) == 0 && size >= 16) {
      const auto format = le16(body);
      const auto channels = le16(body + 2);
      const auto rate = le32(body + 4);
      const auto bits = le16(body + 14);
      if (format != 1 || channels != 1 || rate != 48000 || bits != 16) {
        error = path + ": needs 48 kHz mono 16-bit PCM, found format " + std::to_string(format) + ", " +
                std::to_string(channels) + " channel(s), " + std::to_string(rate) + " Hz, " + std::to_string(bits) +
                " bits";
        return std::nullopt;
      }
      formatOk = true;
    } else if (std::memcmp(&bytes[at], "data", 4) == 0) {
      if (!formatOk) break;
      std::vector<int16_t> samples(size / 2);
      for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<int16_t>(le16(body + 2 * i));
      return samples;
    }
    at += 8 + size + (size & 1);
  }
  error = path + ": no fmt chunk before a data chunk";
  return std::nullopt;
}

}  // namespace

double rms(const int16_t* samples, size_t count) {
  if (count == 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  return std::sqrt(sum / static_cast<double>(count));
}

std::optional<PromptAudio> loadPrompt(const std::string& path, std::string& error) {
  auto samples = readWav(path, error);
  if (!samples) return std::nullopt;
  rtc::OpusEncoderSettings settings;
  auto encoder = rtc::OpusFrameEncoder::create(settings, error);
  if (!encoder) return std::nullopt;
  PromptAudio prompt;
  std::vector<uint8_t> packet(rtc::kOpusMaxPacketBytes);
  auto encode = [&](const int16_t* pcm) -> std::optional<std::vector<uint8_t>> {
    const int size = encoder->encode(std::span<const int16_t>(pcm, rtc::kOpusFrameSamples), packet);
    if (size < 0) {
      error = "the Opus encoder failed";
      return std::nullopt;
    }
    return std::vector<uint8_t>(packet.begin(), packet.begin() + size);
  };
  samples->resize((samples->size() + rtc::kOpusFrameSamples - 1) / rtc::kOpusFrameSamples * rtc::kOpusFrameSamples);
  for (size_t at = 0; at < samples->size(); at += rtc::kOpusFrameSamples) {
    auto frame = encode(samples->data() + at);
    if (!frame) return std::nullopt;
    prompt.frames.push_back(std::move(*frame));
    if (rms(samples->data() + at, rtc::kOpusFrameSamples) > kSpeechRms) prompt.speechFrames = prompt.frames.size();
  }
  if (prompt.speechFrames == 0) {
    error = path + ": no speech in it (no 20 ms frame above RMS " + std::to_string(static_cast<int>(kSpeechRms)) + ")";
    return std::nullopt;
  }
  const std::vector<int16_t> quiet(rtc::kOpusFrameSamples, 0);
  auto silence = encode(quiet.data());
  if (!silence) return std::nullopt;
  prompt.silence = std::move(*silence);
  return prompt;
}

}  // namespace convox::bench

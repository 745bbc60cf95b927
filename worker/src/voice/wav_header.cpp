#include "voice/wav_header.hpp"

#include <algorithm>

namespace convox::voice {

namespace {

uint32_t le(std::string_view bytes, size_t at, size_t width) {
  uint32_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return v;
}

constexpr int kFormatExtensible = 0xFFFE;

}  // namespace

bool looksLikeWav(std::string_view bytes) {
  return bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WAVE";
}

std::optional<WavHeader> parseWavHeader(std::string_view bytes, std::string& error) {
  if (!looksLikeWav(bytes)) {
    error = "not a WAV file (no RIFF/WAVE header)";
    return std::nullopt;
  }
  WavHeader h;
  bool sawFormat = false;
  size_t at = 12;
  while (at + 8 <= bytes.size()) {
    const std::string_view id = bytes.substr(at, 4);
    const size_t size = le(bytes, at + 4, 4);
    const size_t body = at + 8;
    if (id == "fmt ") {
      if (size < 16 || body + 16 > bytes.size()) break;
      h.format = static_cast<int>(le(bytes, body, 2));
      h.channels = static_cast<int>(le(bytes, body + 2, 2));
      h.sampleRate = static_cast<int>(le(bytes, body + 4, 4));
      h.bitsPerSample = static_cast<int>(le(bytes, body + 14, 2));
      // The extensible header names its real format in the sub-format GUID's first two bytes.
      if (h.format == kFormatExtensible && size >= 40 && body + 26 <= bytes.size()) {
        h.format = static_cast<int>(le(bytes, body + 24, 2));
      }
      sawFormat = true;
    } else if (id == "data") {
      if (!sawFormat) {
        error = "WAV data before its fmt chunk";
        return std::nullopt;
      }
      h.dataOffset = body;
      const size_t present = bytes.size() - body;
      h.dataSize = size == 0 || size == 0xFFFFFFFF ? present : std::min(size, present);
      return h;
    }
    if (size > bytes.size() - body) break;
    at = body + size + (size & 1);  // chunks are padded to an even size
  }
  error = sawFormat ? "WAV without a data chunk" : "WAV without a fmt chunk";
  return std::nullopt;
}

std::optional<WavHeader> parsePcm16MonoWav(std::string_view bytes, std::string& error) {
  auto h = parseWavHeader(bytes, error);
  if (!h) return h;
  if (h->format != 1 || h->channels != 1 || h->bitsPerSample != 16 || h->sampleRate <= 0) {
    error = "expected 16-bit mono PCM WAV, got format " + std::to_string(h->format) + ", " +
            std::to_string(h->channels) + " channel(s), " + std::to_string(h->bitsPerSample) + " bits at " +
            std::to_string(h->sampleRate) + " Hz";
    return std::nullopt;
  }
  return h;
}

}  // namespace convox::voice

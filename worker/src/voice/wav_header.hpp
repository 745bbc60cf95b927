#pragma once

// Reading the RIFF/WAVE header that providers put in front of PCM they
// return (Sarvam's REST audios, a WAV chunk on a socket): where the samples
// start and what they are. The fmt and data chunks are found by walking the
// chunk list, so extra chunks (LIST, fact) before them are skipped. A data
// size the writer could not know (streamed WAVs write 0 or 0xFFFFFFFF) is
// not trusted: the caller takes the bytes that are there.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convox::voice {

struct WavHeader {
  int format = 0;  // 1 = integer PCM (also what WAVE_FORMAT_EXTENSIBLE carries for PCM)
  int channels = 0;
  int sampleRate = 0;
  int bitsPerSample = 0;
  size_t dataOffset = 0;  // the first sample's byte
  size_t dataSize = 0;    // as declared, at most what follows dataOffset
};

// True when `bytes` starts like a WAV file ("RIFF....WAVE").
bool looksLikeWav(std::string_view bytes);

// The header of the WAV file `bytes`; nullopt with `error` set for anything
// that is not one (truncated, no fmt or data chunk).
std::optional<WavHeader> parseWavHeader(std::string_view bytes, std::string& error);

// parseWavHeader that also requires 16-bit mono integer PCM, naming what
// it found otherwise.
std::optional<WavHeader> parsePcm16MonoWav(std::string_view bytes, std::string& error);

}  // namespace convox::voice

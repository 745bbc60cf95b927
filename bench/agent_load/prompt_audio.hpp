#pragma once

// The caller's microphone: a WAV prompt (48 kHz mono 16-bit, as
// tests/media/make_media.sh writes them) Opus-encoded into 20 ms frames
// once per run and shared by every caller, plus one frame of silence that
// the callers send between prompts, as a live microphone does.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convox::bench {

struct PromptAudio {
  std::vector<std::vector<uint8_t>> frames;  // the whole file, 20 ms each
  std::vector<uint8_t> silence;              // one encoded frame of silence
  // Frames up to and including the last one with speech in it: the end of
  // speech is the end of that frame, not of the file's trailing silence.
  size_t speechFrames = 0;
};

// nullopt with `error` for a file that is not 48 kHz mono 16-bit PCM WAV,
// or one without any speech in it.
std::optional<PromptAudio> loadPrompt(const std::string& path, std::string& error);

// Root mean square of 16-bit samples (0..32767).
double rms(const int16_t* samples, size_t count);

// A frame louder than this RMS counts as speech (the prompts' speech is
// thousands; their silence and Opus's noise floor tens).
inline constexpr double kSpeechRms = 300;

}  // namespace convox::bench

#pragma once

// Streaming sample-rate conversion of 16-bit mono PCM with libsoxr, for the
// rates the pipeline needs (48 kHz Opus <-> 16 kHz recognisers, 22050 Hz
// espeak-ng -> 48 kHz). soxr keeps the filter state between calls, so a
// stream cut into 20 ms frames converts exactly like the whole signal.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

struct soxr;

namespace convox::voice {

class Resampler {
 public:
  // nullptr and `error` set if soxr refuses the rates. soxr sizes its
  // buffers on the first process() call and keeps them while the chunk size
  // stays the same.
  static std::unique_ptr<Resampler> create(int inputRate, int outputRate, std::string& error);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Converts `in` and writes what is ready to `out`; returns the samples
  // written. `out` must hold maxOutputSamples(in.size()) or output is lost
  // (counted in droppedSamples()).
  size_t process(std::span<const int16_t> in, std::span<int16_t> out);
  // End of stream: writes the samples still in the filter's delay line.
  size_t flush(std::span<int16_t> out);
  // Forgets the stream (a new utterance, a new track).
  void reset();

  size_t maxOutputSamples(size_t inputSamples) const;
  int inputRate() const { return inputRate_; }
  int outputRate() const { return outputRate_; }
  uint64_t droppedSamples() const { return dropped_; }

 private:
  Resampler(soxr* s, int inputRate, int outputRate) : soxr_(s), inputRate_(inputRate), outputRate_(outputRate) {}

  // Allocated by this.
  soxr* soxr_;
  // Others.
  int inputRate_;
  int outputRate_;
  uint64_t dropped_ = 0;
};

}  // namespace convox::voice

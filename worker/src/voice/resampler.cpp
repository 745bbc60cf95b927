#include "voice/resampler.hpp"

#include <soxr.h>

namespace convox::voice {

std::unique_ptr<Resampler> Resampler::create(int inputRate, int outputRate, std::string& error) {
  if (inputRate <= 0 || outputRate <= 0) {
    error = "resampler: rates must be positive";
    return nullptr;
  }
  soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  // No dither: the output is then a function of the input alone, so a reset
  // stream converts exactly as a fresh one (and tests are deterministic).
  io.flags |= SOXR_NO_DITHER;
  // Medium quality is transparent for 16-bit speech and keeps the filter (and
  // so the added latency) short; HQ costs more for nothing a recogniser hears.
  soxr_quality_spec_t quality = soxr_quality_spec(SOXR_MQ, 0);
  soxr_runtime_spec_t runtime = soxr_runtime_spec(1);  // no OpenMP threads on a media thread
  soxr_error_t err = nullptr;
  soxr_t s = soxr_create(inputRate, outputRate, 1, &err, &io, &quality, &runtime);
  if (err != nullptr || s == nullptr) {
    error = std::string("resampler: soxr_create failed: ") + (err != nullptr ? err : "unknown error");
    return nullptr;
  }
  return std::unique_ptr<Resampler>(new Resampler(s, inputRate, outputRate));
}

Resampler::~Resampler() { soxr_delete(soxr_); }

size_t Resampler::maxOutputSamples(size_t inputSamples) const {
  // soxr may release a little more than the exact ratio when its filter
  // catches up; a margin of one filter block covers it.
  return inputSamples * static_cast<size_t>(outputRate_) / static_cast<size_t>(inputRate_) + 64;
}

size_t Resampler::process(std::span<const int16_t> in, std::span<int16_t> out) {
  size_t consumed = 0;
  size_t written = 0;
  if (soxr_process(soxr_, in.data(), in.size(), &consumed, out.data(), out.size(), &written) != nullptr) {
    dropped_ += in.size();
    return 0;
  }
  // soxr takes all input unless the output is too small for it.
  dropped_ += in.size() - consumed;
  return written;
}

size_t Resampler::flush(std::span<int16_t> out) {
  size_t total = 0;
  // A null input tells soxr the stream ended; call until it has nothing left.
  while (total < out.size()) {
    size_t written = 0;
    if (soxr_process(soxr_, nullptr, 0, nullptr, out.data() + total, out.size() - total, &written) != nullptr ||
        written == 0) {
      break;
    }
    total += written;
  }
  return total;
}

void Resampler::reset() { soxr_clear(soxr_); }

}  // namespace convox::voice

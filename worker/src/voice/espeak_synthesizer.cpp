#include "voice/espeak_synthesizer.hpp"

#include <espeak-ng/speak_lib.h>

#include <chrono>
#include <mutex>

namespace convox::voice {
namespace {

// espeak's engine is process-global; this mutex guards all of it.
std::mutex& engineMutex() {
  static std::mutex m;
  return m;
}

constexpr int kEngineChunkMs = 20;

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int engineRateOnce(std::string& error) {
  static int rate = [] {
    // Synchronous: espeak_Synth returns after the last callback, on this
    // thread. DONT_EXIT: a missing data file is an error, not exit().
    return espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, kEngineChunkMs, nullptr, espeakINITIALIZE_DONT_EXIT);
  }();
  if (rate <= 0) error = "espeak: espeak_Initialize failed (is espeak-ng-data installed?)";
  return rate;
}

int synthCallback(short* pcm, int samples, espeak_EVENT* events) {
  auto* self = events != nullptr ? static_cast<EspeakSynthesizer*>(events->user_data) : nullptr;
  if (self == nullptr) return 0;
  for (const espeak_EVENT* e = events; e->type != espeakEVENT_LIST_TERMINATED; ++e)
    if (e->type == espeakEVENT_WORD) self->onEngineWord(e->text_position, e->audio_position);
  // Non-zero tells espeak to stop synthesising.
  return self->onEngineAudio(pcm, samples) ? 0 : 1;
}

}  // namespace

std::unique_ptr<EspeakSynthesizer> EspeakSynthesizer::create(const EspeakSettings& settings, std::string& error) {
  if (settings.rate < espeakRATE_MINIMUM || settings.rate > espeakRATE_MAXIMUM) {
    error = "espeak: rate must be " + std::to_string(espeakRATE_MINIMUM) + ".." + std::to_string(espeakRATE_MAXIMUM) +
            " words per minute";
    return nullptr;
  }
  std::lock_guard lock(engineMutex());
  const int engineRate = engineRateOnce(error);
  if (engineRate <= 0) return nullptr;
  if (espeak_SetVoiceByName(settings.voice.c_str()) != EE_OK) {
    error = "espeak: unknown voice \"" + settings.voice + "\"";
    return nullptr;
  }
  auto resampler = Resampler::create(engineRate, settings.outputRate, error);
  if (!resampler) return nullptr;
  return std::unique_ptr<EspeakSynthesizer>(new EspeakSynthesizer(settings, engineRate, std::move(resampler)));
}

EspeakSynthesizer::EspeakSynthesizer(const EspeakSettings& settings, int engineRate,
                                     std::unique_ptr<Resampler> resampler)
    : resampler_(std::move(resampler)), settings_(settings), engineRate_(engineRate) {
  out_.resize(resampler_->maxOutputSamples(4096));
}

bool EspeakSynthesizer::onEngineAudio(const int16_t* pcm, int samples) {
  if (cancel_.load()) return false;
  if (pcm == nullptr || samples <= 0) return true;  // an event without audio
  std::span<const int16_t> in(pcm, static_cast<size_t>(samples));
  while (!in.empty()) {
    const auto chunk = in.first(std::min<size_t>(in.size(), 4096));
    in = in.subspan(chunk.size());
    const size_t n = resampler_->process(chunk, out_);
    if (n == 0) continue;
    if (stats_->firstAudioMs < 0) stats_->firstAudioMs = (nowNs() - startedNs_) / 1000000;
    stats_->audioSamples += static_cast<int64_t>(n);
    (*sink_)(std::span<const int16_t>(out_.data(), n));
  }
  return !cancel_.load();
}

void EspeakSynthesizer::onEngineWord(int textPosition, int audioMs) {
  if (stats_ == nullptr || textPosition < 1 || audioMs < 0) return;
  // espeak counts characters (UTF-8 code points) from 1: find the byte.
  size_t at = 0;
  for (int chars = 1; chars < textPosition && at < text_.size(); ++chars) {
    ++at;  // past the code point's first byte, then its continuation bytes
    while (at < text_.size() && (static_cast<unsigned char>(text_[at]) & 0xC0) == 0x80) ++at;
  }
  stats_->words.push_back({at, int64_t{audioMs} * settings_.outputRate / 1000});
}

TtsStats EspeakSynthesizer::synthesize(std::string_view text, const AudioSink& sink) {
  TtsStats stats;
  stats.characters = text.size();
  std::lock_guard lock(engineMutex());
  cancel_.store(false);
  startedNs_ = nowNs();
  sink_ = &sink;
  stats_ = &stats;
  text_ = text;
  resampler_->reset();
  // The engine's voice and rate are global: set ours for this call.
  espeak_SetSynthCallback(synthCallback);
  espeak_SetVoiceByName(settings_.voice.c_str());
  espeak_SetParameter(espeakRATE, settings_.rate, 0);
  const std::string copy(text);  // espeak wants a NUL-terminated string
  espeak_Synth(copy.c_str(), copy.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, this);
  if (!cancel_.load()) {
    // The resampler's delay line holds the last few ms of the utterance.
    const size_t n = resampler_->flush(out_);
    if (n > 0) {
      stats.audioSamples += static_cast<int64_t>(n);
      sink(std::span<const int16_t>(out_.data(), n));
    }
  }
  stats.cancelled = cancel_.load();
  stats.totalMs = (nowNs() - startedNs_) / 1000000;
  sink_ = nullptr;
  stats_ = nullptr;
  text_ = {};
  return stats;
}

}  // namespace convox::voice

#include "voice/webrtc_vad.hpp"

#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace convox::voice {

struct WebRtcVad::Impl {
  std::unique_ptr<webrtc::AudioProcessing> apm;
  webrtc::AudioFrame frame;  // ~7.7 kB, allocated once with the detector
};

std::unique_ptr<WebRtcVad> WebRtcVad::create(int sampleRate, const VadSettings& settings, std::string& error) {
  if (sampleRate != 8000 && sampleRate != 16000 && sampleRate != 32000 && sampleRate != 48000) {
    error = "vad: sample rate must be 8000, 16000, 32000 or 48000 Hz";
    return nullptr;
  }
  if (settings.minSpeechMs < 10 || settings.silenceMs < 10 || settings.likelihood < 0 || settings.likelihood > 3) {
    error = "vad: minSpeechMs and silenceMs must be at least 10 ms and likelihood 0..3";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->apm.reset(webrtc::AudioProcessing::Create());
  if (!impl->apm) {
    error = "vad: webrtc AudioProcessing::Create failed";
    return nullptr;
  }
  // Only the detector: echo cancellation, gain control, noise suppression and
  // the high-pass filter stay off (they are off by default in this version).
  auto* vd = impl->apm->voice_detection();
  if (impl->apm->Initialize(sampleRate, sampleRate, sampleRate, webrtc::AudioProcessing::kMono,
                            webrtc::AudioProcessing::kMono, webrtc::AudioProcessing::kMono) != 0 ||
      vd->Enable(true) != 0 ||
      vd->set_likelihood(static_cast<webrtc::VoiceDetection::Likelihood>(settings.likelihood)) != 0 ||
      vd->set_frame_size_ms(10) != 0) {
    error = "vad: webrtc VoiceDetection refused its settings";
    return nullptr;
  }
  return std::unique_ptr<WebRtcVad>(new WebRtcVad(std::move(impl), sampleRate, settings));
}

WebRtcVad::WebRtcVad(std::unique_ptr<Impl> impl, int sampleRate, const VadSettings& settings)
    : impl_(std::move(impl)), frameSamples_(sampleRate / 100), settings_(settings) {
  impl_->frame.sample_rate_hz_ = sampleRate;
  impl_->frame.num_channels_ = 1;
  impl_->frame.samples_per_channel_ = static_cast<size_t>(frameSamples_);
}

WebRtcVad::~WebRtcVad() = default;

void WebRtcVad::process(std::span<const int16_t> pcm, VadListener& listener) {
  auto& frame = impl_->frame;
  while (!pcm.empty()) {
    const size_t take = std::min(pcm.size(), static_cast<size_t>(frameSamples_) - pending_);
    std::memcpy(frame.data_ + pending_, pcm.data(), take * sizeof(int16_t));
    pending_ += take;
    pcm = pcm.subspan(take);
    if (pending_ < static_cast<size_t>(frameSamples_)) break;
    pending_ = 0;
    // ProcessStream rewrites the frame's fields; set them for each frame.
    frame.sample_rate_hz_ = frameSamples_ * 100;
    frame.num_channels_ = 1;
    frame.samples_per_channel_ = static_cast<size_t>(frameSamples_);
    // The frame's energy, before the APM sees it (it leaves the audio as
    // is with everything but the detector off).
    int64_t sum = 0;
    for (int i = 0; i < frameSamples_; ++i) sum += int64_t{frame.data_[i]} * frame.data_[i];
    const double rms = std::sqrt(static_cast<double>(sum) / frameSamples_);
    const bool ok = impl_->apm->ProcessStream(&frame) == 0;
    onFrame(ok && impl_->apm->voice_detection()->stream_has_voice(), rms, listener);
  }
}

void WebRtcVad::onFrame(bool voiced, double rms, VadListener& listener) {
  const int64_t frameStartMs = framesSeen_ * 10;
  ++framesSeen_;
  if (voiced && speaking_) {
    // The detector's hangover flags frames for ~100 ms after the voice has
    // stopped, and the silence wait would count from there: within speech,
    // a flagged frame 30 dB below the utterance's loudest is not voice.
    peakRms_ = std::max(peakRms_, rms);
    voiced = rms >= std::max(kMinVoiceRms, peakRms_ * kVoiceOfPeak);
  } else if (voiced) {
    peakRms_ = std::max(peakRms_, rms);
  }
  if (voiced) {
    ++voicedFrames_;
    lastVoicedEndMs_ = frameStartMs + 10;
    silentRun_ = 0;
    if (speaking_) return;
    if (runStartMs_ < 0) runStartMs_ = frameStartMs;
    if (++voicedInRun_ * 10 >= settings_.minSpeechMs) {
      speaking_ = true;
      listener.onSpeechStart(runStartMs_);
    }
    return;
  }
  ++silentRun_;
  if (speaking_) {
    if (silentRun_ * 10 >= settings_.silenceMs) {
      speaking_ = false;
      runStartMs_ = -1;
      voicedInRun_ = 0;
      peakRms_ = 0;
      listener.onSpeechEnd(lastVoicedEndMs_, frameStartMs + 10);
    }
    return;
  }
  // A candidate run survives short gaps (speech is not voiced in every
  // frame) but a gap as long as the minimum speech duration ends it.
  if (runStartMs_ >= 0 && silentRun_ * 10 >= settings_.minSpeechMs) {
    runStartMs_ = -1;
    voicedInRun_ = 0;
    peakRms_ = 0;
  }
}

void WebRtcVad::reset() {
  impl_->apm->Initialize();
  pending_ = 0;
  framesSeen_ = 0;
  voicedFrames_ = 0;
  speaking_ = false;
  runStartMs_ = -1;
  voicedInRun_ = 0;
  silentRun_ = 0;
  lastVoicedEndMs_ = 0;
  peakRms_ = 0;
}

}  // namespace convox::voice

#include "voice/sarvam_tts_fields.hpp"

#include <algorithm>

namespace convox::voice {

namespace {

bool isV2(const std::string& model) { return model.starts_with("bulbul:v2") || model.starts_with("bulbul:v1"); }

}  // namespace

std::string sarvamSpeaker(const SarvamTtsSettings& settings) {
  if (!settings.speaker.empty()) return settings.speaker;
  return isV2(settings.model) ? "anushka" : "shubh";
}

double sarvamPace(const SarvamTtsSettings& settings) {
  return isV2(settings.model) ? std::clamp(settings.pace, 0.3, 3.0) : std::clamp(settings.pace, 0.5, 2.0);
}

boost::json::object sarvamSynthesisFields(const SarvamTtsSettings& settings, std::string_view codec) {
  return {{"target_language_code", settings.language},
          {"speaker", sarvamSpeaker(settings)},
          {"pace", sarvamPace(settings)},
          {"model", settings.model},
          {"speech_sample_rate", settings.sampleRate},
          {"output_audio_codec", codec}};
}

}  // namespace convox::voice

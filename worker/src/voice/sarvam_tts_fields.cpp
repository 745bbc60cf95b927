#include "voice/sarvam_tts_fields.hpp"

#include "voice/json_fields.hpp"
#include "voice/text_clip.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace convox::voice {

namespace {

bool isV2(const std::string& model) { return model.starts_with("bulbul:v2") || model.starts_with("bulbul:v1"); }

// The languages bulbul speaks, as Sarvam tags them (PROTOCOL-providers.md §7, LK's list).
constexpr std::array<std::string_view, 11> kLanguages = {"bn", "en", "gu", "hi", "kn", "ml",
                                                         "mr", "od", "pa", "ta", "te"};

}  // namespace

std::optional<std::string> sarvamLanguageCode(std::string_view tag) {
  if (tag.empty()) return std::string("hi-IN");
  std::string primary(tag.substr(0, tag.find_first_of("-_")));
  std::transform(primary.begin(), primary.end(), primary.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (primary == "or") primary = "od";  // ISO 639-1 Odia; Sarvam writes od-IN
  if (std::find(kLanguages.begin(), kLanguages.end(), primary) == kLanguages.end()) return std::nullopt;
  return primary + "-IN";
}

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

std::string sarvamErrorText(const boost::json::object& error) {
  const auto message = stringAt(error, "message");
  if (message.empty()) return clipText(boost::json::serialize(error));
  std::string text = clipText(message);
  if (const auto code = stringAt(error, "code"); !code.empty()) text += " (" + clipText(code, 80) + ")";
  return text;
}

}  // namespace convox::voice

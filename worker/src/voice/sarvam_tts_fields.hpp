#pragma once

// What Sarvam's two TTS transports share: the synthesis fields of the
// socket's config and of the REST body.

#include "voice/sarvam_tts_service.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace convox::voice {

// {target_language_code, speaker, pace, model, speech_sample_rate, output_audio_codec}
boost::json::object sarvamSynthesisFields(const SarvamTtsSettings& settings, std::string_view codec);

}  // namespace convox::voice

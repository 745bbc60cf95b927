#pragma once

// The languages Sarvam's speech models (saaras/saarika STT, bulbul TTS)
// serve, as Sarvam tags them: India's locales, "xx-IN".

#include <optional>
#include <string>
#include <string_view>

namespace convox::voice {

// Sarvam's tag for a BCP-47 language: "hi" -> "hi-IN", "en-US" -> "en-IN",
// Odia's "or" -> "od-IN"; "" stays "" (the caller's default: detection for
// STT, hi-IN for TTS); nullopt for a language Sarvam does not speak.
std::optional<std::string> sarvamLanguageCode(std::string_view tag);

}  // namespace convox::voice

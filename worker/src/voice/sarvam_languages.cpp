#include "voice/sarvam_languages.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace convox::voice {

namespace {

// PROTOCOL-providers.md §7 and LiveKit's Sarvam plugin list the same eleven.
constexpr std::array<std::string_view, 11> kLanguages = {"bn", "en", "gu", "hi", "kn", "ml",
                                                         "mr", "od", "pa", "ta", "te"};

}  // namespace

std::optional<std::string> sarvamLanguageCode(std::string_view tag) {
  if (tag.empty()) return std::string();
  std::string primary(tag.substr(0, tag.find_first_of("-_")));
  std::transform(primary.begin(), primary.end(), primary.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (primary == "or") primary = "od";  // ISO 639-1 Odia; Sarvam writes od-IN
  if (std::find(kLanguages.begin(), kLanguages.end(), primary) == kLanguages.end()) return std::nullopt;
  return primary + "-IN";
}

}  // namespace convox::voice

#pragma once

// A provider's message cut to what an error text, a log line or a stored
// turn may hold, never inside a UTF-8 character.

#include <string>
#include <string_view>

namespace convox::voice {

inline std::string clipText(std::string_view text, size_t max = 300) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

}  // namespace convox::voice

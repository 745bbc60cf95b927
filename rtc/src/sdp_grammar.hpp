#pragma once

// Shared by the SDP parser (sdp_parse.cpp, sdp_attributes.cpp) and the
// helpers in sdp.cpp; not part of the public API. Small text helpers for the
// RFC 8866 grammar, and the state the line loop hands to the attribute
// handlers.

#include "rtc/sdp.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace convox::rtc::detail {

inline constexpr auto npos = std::string_view::npos;

// Sets `why` and returns false, so that a check reads `return failWith(...)`.
inline bool failWith(std::string& why, std::string reason) {
  why = std::move(reason);
  return false;
}

// The text in quotes for an error message, cut to 64 characters.
inline std::string quoted(std::string_view text) { return "'" + std::string(text.substr(0, 64)) + "'"; }

// Without leading and trailing spaces and tabs.
inline std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The words separated by runs of spaces and tabs.
inline std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  while (true) {
    const auto start = text.find_first_not_of(" \t");
    if (start == npos) return out;
    const auto end = text.find_first_of(" \t", start);
    out.push_back(text.substr(start, end == npos ? npos : end - start));
    if (end == npos) return out;
    text = text.substr(end);
  }
}

// The first word and the trimmed rest of the text.
inline std::pair<std::string_view, std::string_view> splitFirst(std::string_view text) {
  text = trim(text);
  const auto space = text.find_first_of(" \t");
  if (space == npos) return {text, {}};
  return {text.substr(0, space), trim(text.substr(space))};
}

// Every piece between separators, empty ones included: "a;;b" is a, "", b.
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  while (true) {
    const auto at = text.find(separator);
    out.push_back(text.substr(0, at));
    if (at == npos) return out;
    text = text.substr(at + 1);
  }
}

// A decimal number of only digits (no sign, no spaces) within [min, max].
template <class T>
bool number(std::string_view text, T& out, uint64_t min = 0, uint64_t max = std::numeric_limits<T>::max()) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != npos) return false;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
  out = static_cast<T>(value);
  return true;
}

inline bool isTokenChar(char c) {  // RFC 8866 token-char
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D || u == 0x2E ||
         (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) || (u >= 0x5E && u <= 0x7E);
}
inline bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), isTokenChar);
}

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) { return lower(x) == lower(y); });
}

// Finds the enumerator whose wire spelling is `text`.
template <class E, size_t N>
std::optional<E> fromString(std::string_view text, const std::array<E, N>& values) {
  for (const E value : values) {
    if (toString(value) == text) return value;
  }
  return std::nullopt;
}

// --- between the line loop and the attribute handlers ----------------------

// The parser's state: what sdp_parse.cpp's line loop and the attribute
// handlers in sdp_attributes.cpp both read and write.
struct ParseState {
  SessionDescription sdp;
  MediaSection* media = nullptr;       // the section being parsed, inside sdp.media; nullptr at session level
  std::vector<std::string_view> seen;  // once-keys met at the current level
  // Indexes of the current section, so that a hostile offer with thousands
  // of a=ssrc or a=rid lines costs linear, not quadratic, time.
  std::unordered_map<uint32_t, size_t> ssrcIndex;
  std::unordered_set<std::string_view> ridIds;
  std::string why;  // the reason of the first failure

  bool fail(std::string reason) { return failWith(why, std::move(reason)); }

  // Records `key` for the current level; fails if it was met before. `what`
  // names the line in the message ("a=sendonly conflicts with an earlier
  // direction attribute").
  bool once(std::string_view key, std::string_view what) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return fail(key == what ? std::string(what) + " appears twice"
                              : std::string(what) + " conflicts with an earlier " + std::string(key) + " attribute");
    }
    seen.push_back(key);
    return true;
  }

  TransportAttributes& transport() { return media ? media->transport : sdp.transport; }
};

// Parses the value of an a= line ("rtpmap:111 opus/48000/2") into the
// current level: modelled attributes into their fields, others kept
// verbatim. Returns false with `state.why` set when it is malformed.
bool parseAttribute(ParseState& state, std::string_view text);

}  // namespace convox::rtc::detail

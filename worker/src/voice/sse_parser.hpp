#pragma once

// Server-Sent Events, parsed as the bytes arrive (an event or a line may be
// split anywhere across reads). Only what chat completions use: `data:`
// lines (several in one event are joined with "\n"), events ended by a blank
// line, `:` comments and other fields ignored, LF or CRLF line ends.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace convox::voice {

class SseParser {
 public:
  // A line longer than `maxLineBytes` is an error (a server that never ends
  // its line must not grow the buffer without bound).
  explicit SseParser(size_t maxLineBytes = 1 << 20) : maxLineBytes_(maxLineBytes) {}

  // Calls `onData` with each complete event's data. False (and `error` set)
  // when the input breaks the limit; the parser is then unusable.
  bool feed(std::string_view bytes, const std::function<void(std::string_view data)>& onData, std::string& error);

 private:
  void line(std::string_view text, const std::function<void(std::string_view)>& onData);

  size_t maxLineBytes_;
  std::string partial_;  // the unfinished line
  std::string data_;     // the event's data so far
  bool hasData_ = false;
};

}  // namespace convox::voice

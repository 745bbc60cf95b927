#include "voice/sse_parser.hpp"

namespace convox::voice {

bool SseParser::feed(std::string_view bytes, const std::function<void(std::string_view)>& onData, std::string& error) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      break;
    }
    partial_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    line(partial_, onData);
    partial_.clear();
  }
  if (partial_.size() > maxLineBytes_ || data_.size() > maxLineBytes_) {
    error = "event stream line or event over " + std::to_string(maxLineBytes_) + " bytes";
    return false;
  }
  return true;
}

void SseParser::line(std::string_view text, const std::function<void(std::string_view)>& onData) {
  if (text.empty()) {  // the end of an event
    if (hasData_) onData(data_);
    data_.clear();
    hasData_ = false;
    return;
  }
  if (text.front() == ':') return;  // a comment (keep-alive)
  const auto colon = text.find(':');
  const auto field = text.substr(0, colon);
  if (field != "data") return;  // event, id, retry: not used by chat completions
  auto value = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (hasData_) data_ += '\n';
  data_.append(value);
  hasData_ = true;
}

}  // namespace convox::voice

#include "voice/provider_http.hpp"

#include "voice/chat_stream_decoder.hpp"

#include "common/address_policy.hpp"

namespace convox::voice {

std::string httpFailure(std::string_view what, const HttpResponseHead& head, std::string_view body) {
  std::string text = std::string(what) + ": HTTP " + std::to_string(head.status);
  if (auto retry = head.header("retry-after"); !retry.empty()) {
    // Seconds, or an HTTP date: given as the server sent it.
    const bool seconds = retry.find_first_not_of("0123456789") == std::string_view::npos;
    text += " (retry after " + std::string(retry) + (seconds ? " s)" : ")");
  }
  const std::string message = errorMessageFromBody(body);
  if (!message.empty()) text += ": " + message;
  return text;
}

}  // namespace convox::voice

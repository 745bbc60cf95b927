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

std::string redactSecret(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

common::AddressFilter publicAddressesOnly(std::string_view setting) {
  return [setting = std::string(setting)](const boost::asio::ip::address& a) -> std::optional<std::string> {
    const auto kind = common::nonPublicAddressKind(a);
    if (!kind) return std::nullopt;
    return "a " + std::string(*kind) + " address (" + setting + " must be public unless its origin is trusted)";
  };
}

}  // namespace convox::voice

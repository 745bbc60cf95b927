#pragma once

// Small pieces the WebSocket provider clients (Deepgram, ElevenLabs, Sarvam) share:
// building their URLs, the reason a socket ended as one line, keeping keys
// out of error texts, and base64 for audio carried in JSON.

#include "common/http_client.hpp"
#include "voice/websocket_client.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

// Percent-encodes a query value (RFC 3986 unreserved characters kept).
std::string urlEncode(std::string_view value);

// Why a provider's socket ended, for an error: "HTTP 401: <errorHeader's
// value or the body's first line> (retry-after 3)", "close 1011 NET-0001",
// "timeout: not connected within 5000 ms", ...
std::string socketEndReason(const WebSocketEnd& end, std::string_view errorHeader = {});

// A provider socket's handlers that reach `state` only while it lives and
// `generation` is still its current socket's, so a dropped socket's late
// messages and end are ignored. Text frames go to state.onText, binary ones
// to state.onAudio (when it has one; otherwise they are ignored), the end to
// state.onEnd. The caller may add onOpen.
template <class State>
WebSocketHandlers currentSocketHandlers(const std::shared_ptr<State>& state, uint64_t generation) {
  std::weak_ptr<State> weak = state;
  WebSocketHandlers handlers;
  handlers.onMessage = [weak, generation](std::string_view data, bool binary) {
    auto self = weak.lock();
    if (!self || self->generation != generation) return;
    if (!binary) {
      self->onText(data);
    } else if constexpr (requires { self->onAudio(data); }) {
      self->onAudio(data);
    }
  };
  handlers.onEnd = [weak, generation](const WebSocketEnd& end) {
    auto self = weak.lock();
    if (self && self->generation == generation) self->onEnd(end);
  };
  return handlers;
}

// Replaces every occurrence of `secret` (4 characters or more) in `text`.
std::string redactSecret(std::string text, const std::string& secret);

// Refuses loopback, private and link-local addresses, naming `setting` in
// the reason (the agent document's field that chose the URL).
common::AddressFilter publicAddressesOnly(std::string setting);

// Standard base64 (padding optional) into `out` (cleared first); false on a
// character outside the alphabet.
bool base64Decode(std::string_view text, std::vector<uint8_t>& out);
// Standard base64 with padding, appended to `out` (audio sent in JSON: the
// caller reuses `out`, so a frame costs no allocation once it has grown).
void base64Append(std::span<const uint8_t> bytes, std::string& out);

// The number of Unicode code points in UTF-8 `text` (what providers bill as
// characters).
size_t codePoints(std::string_view text);

}  // namespace convox::voice

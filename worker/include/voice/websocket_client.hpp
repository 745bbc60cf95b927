#pragma once

// One outgoing WebSocket (ws:// or wss://) for the streaming providers
// (Deepgram's listen and speak, ElevenLabs' multi-stream-input), with
// Boost.Beast on the io_context given; every handler runs on its thread.
//
// Resolve, connect, TLS and the upgrade share one connect timeout; resolved
// addresses pass the AddressFilter first (as HttpStream's do). Messages sent
// before the upgrade completes wait in the write queue and go out, in order,
// once it has: Beast allows one write at a time, so nothing is written
// concurrently. A refused upgrade reports the HTTP status and the response
// headers (Deepgram puts its reason in `dg-error`).

#include "common/http_client.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convox::voice {

struct WebSocketRequest {
  std::string url;                                           // ws:// or wss://, with its query string
  std::vector<std::pair<std::string, std::string>> headers;  // sent with the upgrade (auth)
  std::chrono::milliseconds connectTimeout{10000};           // until the upgrade's response; also the close handshake
  // > 0: pings when the peer is silent for half of it, and the socket ends
  // ("timeout") when a whole one passes without a frame. 0: never.
  std::chrono::milliseconds idleTimeout{0};
  std::string caFile;  // PEM CAs trusted besides the system's
  common::AddressFilter refuse;
};

// Why a WebSocket ended (or never opened).
struct WebSocketEnd {
  bool opened = false;     // the upgrade had succeeded
  uint16_t closeCode = 0;  // the peer's close frame (0: none arrived)
  std::string closeReason;
  unsigned httpStatus = 0;                                       // the upgrade was refused with this status
  std::vector<std::pair<std::string, std::string>> httpHeaders;  // of that refusal
  std::string httpBody;                                          // of that refusal, cut at 4 KiB
  // "" when a close frame ended it (either side's); otherwise what failed:
  // "connect: Connection refused", "timeout: not connected within 5000 ms",
  // "read: the connection closed without a close frame", ...
  std::string error;

  // The value of a refusal's header, "" if absent (names compare ignoring case).
  std::string header(std::string_view name) const;
  // One line for an error message: "HTTP 401", "close 1011 NET-0001", or `error`.
  std::string describe() const;
};

struct WebSocketHandlers {
  std::function<void()> onOpen;
  // One whole message; the bytes are valid during the call only.
  std::function<void(std::string_view data, bool binary)> onMessage;
  // Once, last.
  std::function<void(const WebSocketEnd& end)> onEnd;
};

class WebSocketClient {
 public:
  virtual ~WebSocketClient() = default;
  // Queue a message (ignored once the socket is closing or closed). The
  // bytes are copied into a buffer the queue reuses.
  virtual void sendText(std::string_view text) = 0;
  virtual void sendBinary(std::span<const uint8_t> bytes) = 0;
  // Sends a close frame after the queued messages; onEnd follows when the
  // peer answers it (or the close handshake times out).
  virtual void close(uint16_t code, std::string_view reason) = 0;
  // No handler runs after this; the socket sends what was queued and then
  // closes on its own (with the close() given before, else code 1000).
  virtual void detach() = 0;
  // Closes the connection at once; no handler runs afterwards.
  virtual void cancel() = 0;
  virtual bool open() const = 0;  // upgraded, not closing, not ended
};

// Starts connecting; an invalid URL's error reaches onEnd, posted.
std::shared_ptr<WebSocketClient> connectWebSocket(boost::asio::io_context& io, WebSocketRequest request,
                                                  WebSocketHandlers handlers);

}  // namespace convox::voice

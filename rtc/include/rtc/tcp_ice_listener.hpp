#pragma once

// The server's ICE-TCP port (RFC 6544, passive candidates only; LiveKit's
// rtc.tcp_port): one listening socket for every media thread. It accepts,
// reads each connection's first RFC 4571 frame (no further: what follows
// is the owning thread's), checks that it is a STUN message with a USERNAME
// and hands the socket, that frame and the USERNAME's local ufrag to
// whoever routes ufrags to media threads (UdpMux::adoptTcp does the ICE
// checks). A connection that sends anything else, or nothing for
// kFirstFrameTimeout, is closed; at most kMaxPending wait at once.

#include "rtc/event_loop.hpp"
#include "rtc/socket_endpoint.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace convox::rtc {

struct AcceptedTcpIce {
  int fd = -1;                 // the receiver's to close
  SocketEndpoint peer;         // tcp = true
  std::string localUfrag;      // the first binding request's USERNAME, up to ':'
  std::vector<uint8_t> bytes;  // what was read: the first frame, its length included
};

struct TcpIceListenerCounters {
  uint64_t accepted = 0;
  uint64_t handedOver = 0;
  uint64_t refused = 0;   // first frame not STUN with a USERNAME, too long, or the peer went
  uint64_t timedOut = 0;  // no first frame in time
  uint64_t overflow = 0;  // closed at once: kMaxPending already waiting
};

class TcpIceListener {
 public:
  static constexpr size_t kMaxPending = 64;
  static constexpr std::chrono::milliseconds kFirstFrameTimeout{10000};

  TcpIceListener();
  ~TcpIceListener();
  TcpIceListener(const TcpIceListener&) = delete;
  TcpIceListener& operator=(const TcpIceListener&) = delete;

  // Binds and listens (from any thread, before start()); false with `error`.
  bool open(const SocketEndpoint& local, std::string& error);
  const SocketEndpoint& localEndpoint() const { return local_; }
  // Accepts on `loop`; call on its thread. `onAccepted` runs there too.
  void start(EventLoop& loop, std::function<void(AcceptedTcpIce)> onAccepted);

  const TcpIceListenerCounters& counters() const { return counters_; }

 private:
  struct Pending;
  void onAcceptable();
  void onPendingReadable(size_t index);
  void drop(size_t index);

  // Passed by argument.
  EventLoop* loop_ = nullptr;
  // Allocated by this.
  std::unique_ptr<std::array<Pending, kMaxPending>> pending_;
  // Others.
  std::function<void(AcceptedTcpIce)> onAccepted_;
  int fd_ = -1;
  uint32_t watch_ = 0;
  SocketEndpoint local_;
  TcpIceListenerCounters counters_;
};

}  // namespace convox::rtc

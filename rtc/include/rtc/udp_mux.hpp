#pragma once

// One UDP socket per media thread, shared by every ICE-lite connection on
// that thread (rtc.ice_transport: mux, the server's default). Datagrams come in with recvmmsg in batches and are
// demultiplexed as mediasoup and LiveKit do: STUN by its USERNAME's local
// ufrag to that connection's IceLiteResponder, everything else by the
// source address learned from a nominating binding request. Sends made
// while a batch is handled go out together with sendmmsg when it ends. No
// allocation, lock or log per packet.
//
// ICE-TCP (RFC 6544, passive) rides on the same mux: a connection accepted
// by the TcpIceListener is handed to the thread whose session its first
// binding request names (adoptTcp); from then on its RFC 4571 frames are
// demultiplexed exactly as datagrams are, its peer address (tcp = true) is
// a path like any other, and what is sent to that path is framed into the
// connection's bounded send queue.

#include "rtc/event_loop.hpp"
#include "rtc/ice_lite_responder.hpp"
#include "rtc/socket_endpoint.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace convox::rtc {

class UdpMuxListener {
 public:
  virtual ~UdpMuxListener() = default;
  // A non-STUN datagram from the connection's selected path; the buffer may
  // be rewritten in place until return.
  virtual void onMuxPacket(std::span<uint8_t> datagram) = 0;
  // A binding request nominated `path` (the first, or a new address).
  virtual void onMuxPathSelected(const SocketEndpoint& /*path*/) {}
};

struct UdpMuxCounters {
  uint64_t datagramsReceived = 0;
  uint64_t receiveBatches = 0;  // recvmmsg calls that returned something
  uint64_t datagramsSent = 0;
  uint64_t sendBatches = 0;  // sendmmsg calls
  uint64_t sendErrors = 0;
  uint64_t stunAnswered = 0;
  uint64_t stunRefused = 0;
  uint64_t unknownUfrag = 0;   // STUN for no connection here: dropped
  uint64_t unknownSource = 0;  // non-STUN from no selected path: dropped
  // ICE-TCP.
  uint64_t tcpAdopted = 0;
  uint64_t tcpRefused = 0;  // first frame not a binding request this thread's sessions accept: closed
  uint64_t tcpClosed = 0;   // by the peer, an error, an unframeable length or the session's end
  uint64_t tcpFramesReceived = 0;
  uint64_t tcpFramesSent = 0;
  uint64_t tcpSendDropped = 0;  // the connection's send queue was full, or it was gone
};

class UdpMux {
 public:
  using SessionId = uint64_t;
  static constexpr size_t kBatch = 32;
  static constexpr size_t kMaxDatagram = 1500;

  explicit UdpMux(EventLoop& loop);
  ~UdpMux();
  UdpMux(const UdpMux&) = delete;
  UdpMux& operator=(const UdpMux&) = delete;

  // Binds `local` (port 0: any) and starts reading. False with `error` set
  // if the socket cannot be had.
  bool open(const SocketEndpoint& local, std::string& error);
  const SocketEndpoint& localEndpoint() const { return local_; }

  // A connection: STUN whose USERNAME starts "<credentials.localUfrag>:" is
  // its. The listener must outlive remove().
  SessionId add(IceLiteCredentials credentials, UdpMuxListener& listener,
                std::chrono::milliseconds consentTimeout = std::chrono::seconds(30));
  void restart(SessionId id, IceLiteCredentials credentials);
  void remove(SessionId id);
  // To the connection's selected path (before a nomination: the address of
  // its latest valid check); false if it has neither.
  bool send(SessionId id, std::span<const uint8_t> datagram);
  bool consentExpired(SessionId id, IceLiteResponder::Clock::time_point now) const;

  // An accepted ICE-TCP connection and the bytes the listener read from it
  // (its first frame). The mux owns `fd` from here: it is closed unless that
  // frame is a binding request a session here accepts, and when the peer
  // closes it, it fails, or its session is removed. Its peer is then a path
  // that went away: sends to it are dropped and consent expires.
  void adoptTcp(int fd, const SocketEndpoint& peer, std::span<const uint8_t> bytesRead);
  size_t tcpConnections() const { return tcpByPeer_.size(); }

  const UdpMuxCounters& counters() const { return counters_; }

 private:
  struct Session {
    Session(IceLiteCredentials c, UdpMuxListener& l, std::chrono::milliseconds consent)
        : responder(std::move(c), consent), listener(&l) {}
    IceLiteResponder responder;
    UdpMuxListener* listener;
    // Addresses that passed a check before any nomination: their media is
    // taken (a DTLS ClientHello can beat the nominating check), and the
    // latest is where replies go until a path is nominated.
    std::array<SocketEndpoint, 4> checked{};
    size_t checkedCount = 0;
    std::optional<SocketEndpoint> latestChecked;
  };
  struct Batch;
  struct TcpConnection;

  void onReadable();
  void handle(std::span<uint8_t> datagram, const SocketEndpoint& from);
  // A STUN message; `only`, when set, is the one session it may be for.
  // The verdict, and the session it went to.
  IceLiteVerdict handleStun(std::span<uint8_t> datagram, const SocketEndpoint& from, SessionId only,
                            SessionId* owner = nullptr);
  void queue(std::span<const uint8_t> datagram, const SocketEndpoint& to);
  // ICE-TCP (udp_mux_tcp.cpp).
  void onTcpReadable(uint32_t index);
  bool onTcpFrame(TcpConnection& c, std::span<uint8_t> frame);
  void sendTcp(std::span<const uint8_t> packet, const SocketEndpoint& to);
  void writeTcp(uint32_t index);
  void closeTcp(uint32_t index);
  void closeTcpOf(SessionId id);
  void flush();
  void forgetChecked(Session& s, SessionId id);
  // The live session of `id`: its slot, if the slot's generation is the id's.
  Session* find(SessionId id) const;

  EventLoop& loop_;
  int fd_ = -1;
  uint32_t watch_ = 0;
  SocketEndpoint local_;
  // Sessions by slot: an id is (generation << 32 | slot), found without a
  // hash on every packet sent and received.
  struct Slot {
    std::unique_ptr<Session> session;
    uint32_t generation = 0;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> freeSlots_;
  struct UfragHash {
    using is_transparent = void;  // looked up by the string_view in a USERNAME, without a copy
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, SessionId, UfragHash, std::equal_to<>> byUfrag_;
  std::unordered_map<SocketEndpoint, SessionId, SocketEndpointHash> byPath_;
  std::unique_ptr<Batch> batch_;  // the recvmmsg/sendmmsg arrays, allocated once
  // ICE-TCP connections by index (each one's buffers allocated at adoption),
  // and by peer address for what is sent to a TCP path.
  std::vector<std::unique_ptr<TcpConnection>> tcp_;
  std::unordered_map<SocketEndpoint, uint32_t, SocketEndpointHash> tcpByPeer_;
  uint32_t readingTcp_ = UINT32_MAX;  // the connection being read: its close waits for the read's end
  bool inBatch_ = false;
  UdpMuxCounters counters_;
};

}  // namespace convox::rtc

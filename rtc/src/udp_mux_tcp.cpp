// The mux's ICE-TCP connections (RFC 6544 passive, RFC 4571 framing): see
// udp_mux.hpp. Frames are read into each connection's fixed reader and
// handled in place as datagrams are; what is sent to a TCP path is framed
// into the connection's fixed send queue and written without waiting.
#include "rtc/udp_mux.hpp"

#include "udp_mux_tcp_connection.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace convox::rtc {

void UdpMux::adoptTcp(int fd, const SocketEndpoint& peer, std::span<const uint8_t> bytesRead) {
  SocketEndpoint path = peer;
  path.tcp = true;
  if (fd < 0 || tcpByPeer_.contains(path) || bytesRead.size() > Rfc4571Reader::kCapacity) {
    if (fd >= 0) ::close(fd);
    ++counters_.tcpRefused;
    return;
  }
  uint32_t index = 0;
  while (index < tcp_.size() && tcp_[index]) ++index;
  if (index == tcp_.size()) tcp_.emplace_back();
  tcp_[index] = std::make_unique<TcpConnection>();
  TcpConnection& c = *tcp_[index];
  c.fd = fd;
  c.peer = path;
  const auto space = c.in.space();
  std::memcpy(space.data(), bytesRead.data(), bytesRead.size());
  c.in.commit(bytesRead.size());
  tcpByPeer_[path] = index;
  ++counters_.tcpAdopted;
  c.watch = loop_.watchReadable(fd, [this, index] { onTcpReadable(index); });
  // The listener's bytes first (the first frame decides), then whatever followed them.
  onTcpReadable(index);
}

void UdpMux::onTcpReadable(uint32_t index) {
  if (index >= tcp_.size() || !tcp_[index]) return;
  TcpConnection& c = *tcp_[index];
  readingTcp_ = index;
  // Sends to UDP paths that this read causes go out in one sendmmsg.
  const bool wasInBatch = inBatch_;
  inBatch_ = true;
  for (;;) {
    std::span<uint8_t> frame;
    auto status = Rfc4571Reader::Status::NeedMore;
    while (!c.closeRequested && (status = c.in.next(frame)) == Rfc4571Reader::Status::Frame) {
      ++counters_.tcpFramesReceived;
      if (!onTcpFrame(c, frame)) c.closeRequested = true;
    }
    if (status == Rfc4571Reader::Status::Oversize) c.closeRequested = true;  // the stream cannot be followed
    if (c.closeRequested) break;
    // Read until the socket is empty: the loop's readiness is edge-triggered.
    const auto space = c.in.space();  // not empty: no whole frame is left
    const ssize_t n = ::recv(c.fd, space.data(), space.size(), MSG_DONTWAIT);
    if (n > 0) {
      c.in.commit(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    c.closeRequested = true;  // the peer closed (0) or reset
    break;
  }
  const bool close = c.closeRequested;
  readingTcp_ = UINT32_MAX;
  inBatch_ = wasInBatch;
  if (!wasInBatch) flush();
  if (close) closeTcp(index);
}

bool UdpMux::onTcpFrame(TcpConnection& c, std::span<uint8_t> frame) {
  if (frame.empty()) return true;
  if (c.session == 0) {
    // The first frame must be a binding request that a session here accepts.
    SessionId owner = 0;
    if (!looksLikeStun(frame) || handleStun(frame, c.peer, 0, &owner) != IceLiteVerdict::Accepted) {
      ++counters_.tcpRefused;
      return false;
    }
    c.session = owner;
    return true;
  }
  if (!find(c.session)) return false;  // the session went: ids are not reused
  if (looksLikeStun(frame)) {
    handleStun(frame, c.peer, c.session);  // a connection stays its first session's
  } else {
    handle(frame, c.peer);
  }
  return true;
}

void UdpMux::sendTcp(std::span<const uint8_t> packet, const SocketEndpoint& to) {
  const auto it = tcpByPeer_.find(to);
  if (it == tcpByPeer_.end()) {
    ++counters_.tcpSendDropped;  // the path's connection is gone
    return;
  }
  TcpConnection& c = *tcp_[it->second];
  if (c.closeRequested || !c.out.push(packet)) {
    ++counters_.tcpSendDropped;  // full: lost, as a full UDP socket buffer loses a datagram
    return;
  }
  ++counters_.tcpFramesSent;
  if (!c.awaitingWritable) writeTcp(it->second);
}

void UdpMux::writeTcp(uint32_t index) {
  TcpConnection& c = *tcp_[index];
  while (!c.out.empty()) {
    const auto parts = c.out.pending();
    std::array<iovec, 2> iov = {iovec{const_cast<uint8_t*>(parts[0].data()), parts[0].size()},
                                iovec{const_cast<uint8_t*>(parts[1].data()), parts[1].size()}};
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = parts[1].empty() ? 1 : 2;
    const ssize_t n = ::sendmsg(c.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.out.consume(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The kernel's buffer is full: the rest waits in the queue, the loop does not.
      c.awaitingWritable = true;
      loop_.awaitWritable(c.watch, [this, index] {
        if (index >= tcp_.size() || !tcp_[index]) return;
        tcp_[index]->awaitingWritable = false;
        writeTcp(index);
      });
      return;
    }
    closeTcp(index);  // reset or broken
    return;
  }
}

void UdpMux::closeTcp(uint32_t index) {
  if (index >= tcp_.size() || !tcp_[index]) return;
  TcpConnection& c = *tcp_[index];
  if (index == readingTcp_) {
    c.closeRequested = true;  // onTcpReadable closes it when its read ends
    return;
  }
  loop_.unwatch(c.watch);
  ::close(c.fd);
  tcpByPeer_.erase(c.peer);
  // Its path went away: nothing more comes from it, what is sent to it is
  // dropped, and a session that used it loses consent unless it moves.
  if (const auto it = byPath_.find(c.peer); it != byPath_.end()) byPath_.erase(it);
  ++counters_.tcpClosed;
  tcp_[index].reset();
}

void UdpMux::closeTcpOf(SessionId id) {
  for (uint32_t i = 0; i < tcp_.size(); ++i) {
    if (tcp_[i] && tcp_[i]->session == id) closeTcp(i);
  }
}

}  // namespace convox::rtc

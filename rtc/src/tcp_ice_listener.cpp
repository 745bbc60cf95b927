#include "rtc/tcp_ice_listener.hpp"

#include "bound_socket.hpp"
#include "rtc/rfc4571_framing.hpp"
#include "rtc/stun_message.hpp"
#include "sockaddr.hpp"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace convox::rtc {

struct TcpIceListener::Pending {
  int fd = -1;
  uint32_t watch = 0;
  uint32_t timer = 0;
  SocketEndpoint peer;
  std::array<uint8_t, Rfc4571Reader::kHeader + Rfc4571Reader::kMaxFrame> bytes{};
  size_t have = 0;
};

TcpIceListener::TcpIceListener() : pending_(std::make_unique<std::array<Pending, kMaxPending>>()) {}

TcpIceListener::~TcpIceListener() {
  for (size_t i = 0; i < kMaxPending; ++i) drop(i);
  if (watch_ != 0) loop_->unwatch(watch_);
  if (fd_ >= 0) ::close(fd_);
}

bool TcpIceListener::open(const SocketEndpoint& local, std::string& error) {
  const SocketOption reuse{SOL_SOCKET, SO_REUSEADDR, 1};
  fd_ = openBoundSocket(SOCK_STREAM, local, {&reuse, 1}, local_, error);
  if (fd_ < 0) return false;
  if (::listen(fd_, 128) != 0) {
    error = "listen on TCP " + local.toString() + ": " + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  local_.tcp = true;
  return true;
}

void TcpIceListener::start(EventLoop& loop, std::function<void(AcceptedTcpIce)> onAccepted) {
  loop_ = &loop;
  onAccepted_ = std::move(onAccepted);
  watch_ = loop.watchReadable(fd_, [this] { onAcceptable(); });
}

void TcpIceListener::onAcceptable() {
  for (;;) {
    sockaddr_storage from{};
    socklen_t fromLen = sizeof from;
    const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&from), &fromLen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN, or out of descriptors: the next connection retries
    }
    ++counters_.accepted;
    size_t index = 0;
    while (index < kMaxPending && (*pending_)[index].fd >= 0) ++index;
    if (index == kMaxPending) {
      ++counters_.overflow;
      ::close(fd);
      continue;
    }
    // Small frames (STUN, audio) go out as they are written.
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    Pending& p = (*pending_)[index];
    p.fd = fd;
    p.have = 0;
    p.peer = fromSockaddr(from);
    p.peer.tcp = true;
    p.watch = loop_->watchReadable(fd, [this, index] { onPendingReadable(index); });
    p.timer = loop_->addTimer(kFirstFrameTimeout, [this, index] {
      (*pending_)[index].timer = 0;
      ++counters_.timedOut;
      drop(index);
    });
  }
}

void TcpIceListener::onPendingReadable(size_t index) {
  Pending& p = (*pending_)[index];
  if (p.fd < 0) return;
  // Exactly the first frame: the length, then that many bytes, never more.
  for (;;) {
    size_t want = Rfc4571Reader::kHeader;
    if (p.have >= Rfc4571Reader::kHeader) {
      const size_t length = (static_cast<size_t>(p.bytes[0]) << 8) | p.bytes[1];
      if (length < kStunHeaderLength || length > Rfc4571Reader::kMaxFrame) {
        ++counters_.refused;
        return drop(index);
      }
      want = Rfc4571Reader::kHeader + length;
    }
    if (p.have == want && want > Rfc4571Reader::kHeader) break;
    const ssize_t n = ::recv(p.fd, p.bytes.data() + p.have, want - p.have, MSG_DONTWAIT);
    if (n > 0) {
      p.have += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    ++counters_.refused;  // closed or reset before a whole frame
    return drop(index);
  }
  const auto frame = std::span<const uint8_t>(p.bytes).subspan(Rfc4571Reader::kHeader, p.have - 2);
  std::optional<IceUsername> user;
  if (looksLikeStun(frame)) {
    if (const auto m = StunMessage::parse(frame)) user = splitIceUsername(m->username);
  }
  if (!user) {
    ++counters_.refused;
    return drop(index);
  }
  AcceptedTcpIce accepted{p.fd, p.peer, std::string(user->local), {p.bytes.begin(), p.bytes.begin() + p.have}};
  p.fd = -1;  // handed over
  drop(index);
  ++counters_.handedOver;
  onAccepted_(std::move(accepted));
}

void TcpIceListener::drop(size_t index) {
  Pending& p = (*pending_)[index];
  if (p.watch != 0) loop_->unwatch(p.watch);
  if (p.timer != 0) loop_->cancelTimer(p.timer);
  if (p.fd >= 0) ::close(p.fd);
  p = Pending{};
}

}  // namespace convox::rtc

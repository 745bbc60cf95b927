#include "rtc/udp_mux.hpp"

#include "bound_socket.hpp"
#include "sockaddr.hpp"
#include "udp_mux_tcp_connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace convox::rtc {

struct UdpMux::Batch {
  // Receiving.
  std::array<std::array<uint8_t, 2048>, kBatch> in{};
  std::array<iovec, kBatch> inIov{};
  std::array<sockaddr_storage, kBatch> inFrom{};
  std::array<mmsghdr, kBatch> inMsgs{};
  // Sending: what one batch's handling produced.
  std::array<std::array<uint8_t, kMaxDatagram>, kBatch> out{};
  std::array<iovec, kBatch> outIov{};
  std::array<sockaddr_storage, kBatch> outTo{};
  std::array<mmsghdr, kBatch> outMsgs{};
  size_t queued = 0;
  // A STUN response being written.
  std::array<uint8_t, IceLiteResponder::kMaxResponseLength> response{};
};

UdpMux::UdpMux(EventLoop& loop) : loop_(loop), batch_(std::make_unique<Batch>()) {}

UdpMux::~UdpMux() {
  for (uint32_t i = 0; i < tcp_.size(); ++i) closeTcp(i);
  if (watch_ != 0) loop_.unwatch(watch_);
  if (fd_ >= 0) ::close(fd_);
}

bool UdpMux::open(const SocketEndpoint& local, std::string& error) {
  // Bursts of video from many publishers land between two wake-ups.
  constexpr int kBufferBytes = 4 << 20;
  const std::array<SocketOption, 2> buffers{
      {{SOL_SOCKET, SO_RCVBUF, kBufferBytes}, {SOL_SOCKET, SO_SNDBUF, kBufferBytes}}};
  fd_ = openBoundSocket(SOCK_DGRAM, local, buffers, local_, error);
  if (fd_ < 0) return false;
  Batch& b = *batch_;
  for (size_t i = 0; i < kBatch; ++i) {
    b.inIov[i] = {b.in[i].data(), b.in[i].size()};
    b.outIov[i] = {b.out[i].data(), 0};
  }
  watch_ = loop_.watchReadable(fd_, [this] { onReadable(); });
  return true;
}

UdpMux::SessionId UdpMux::add(IceLiteCredentials credentials, UdpMuxListener& listener,
                              std::chrono::milliseconds consentTimeout) {
  uint32_t index = 0;
  if (!freeSlots_.empty()) {
    index = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  ++slot.generation;  // an id of the slot's previous session no longer finds it
  const std::string ufrag = credentials.localUfrag;
  slot.session = std::make_unique<Session>(std::move(credentials), listener, consentTimeout);
  const SessionId id = (static_cast<uint64_t>(slot.generation) << 32) | index;
  byUfrag_[ufrag] = id;
  return id;
}

UdpMux::Session* UdpMux::find(SessionId id) const {
  const auto index = static_cast<uint32_t>(id);
  if (index >= slots_.size()) return nullptr;
  const Slot& slot = slots_[index];
  return slot.session && slot.generation == static_cast<uint32_t>(id >> 32) ? slot.session.get() : nullptr;
}

void UdpMux::restart(SessionId id, IceLiteCredentials credentials) {
  Session* s = find(id);
  if (!s) return;
  if (auto old = byUfrag_.find(s->responder.credentials().localUfrag); old != byUfrag_.end() && old->second == id) {
    byUfrag_.erase(old);
  }
  const std::string ufrag = credentials.localUfrag;
  s->responder.restart(std::move(credentials));
  byUfrag_[ufrag] = id;
}

void UdpMux::remove(SessionId id) {
  Session* s = find(id);
  if (!s) return;
  if (const auto& path = s->responder.selected()) byPath_.erase(*path);
  forgetChecked(*s, id);
  if (auto own = byUfrag_.find(s->responder.credentials().localUfrag); own != byUfrag_.end() && own->second == id) {
    byUfrag_.erase(own);
  }
  closeTcpOf(id);
  const auto index = static_cast<uint32_t>(id);
  slots_[index].session.reset();
  freeSlots_.push_back(index);
}

bool UdpMux::consentExpired(SessionId id, IceLiteResponder::Clock::time_point now) const {
  const Session* s = find(id);
  return !s || s->responder.consentExpired(now);
}

bool UdpMux::send(SessionId id, std::span<const uint8_t> datagram) {
  const Session* found = find(id);
  if (!found) return false;
  const Session& s = *found;
  const auto& to = s.responder.selected() ? s.responder.selected() : s.latestChecked;
  if (!to) return false;
  queue(datagram, *to);
  return true;
}

void UdpMux::forgetChecked(Session& s, SessionId id) {
  for (size_t i = 0; i < s.checkedCount; ++i) {
    const auto it = byPath_.find(s.checked[i]);
    if (it != byPath_.end() && it->second == id && !s.responder.isSelected(s.checked[i])) byPath_.erase(it);
  }
  s.checkedCount = 0;
  s.latestChecked.reset();
}

void UdpMux::queue(std::span<const uint8_t> datagram, const SocketEndpoint& to) {
  if (to.tcp) return sendTcp(datagram, to);
  if (datagram.size() > kMaxDatagram) {
    ++counters_.sendErrors;
    return;
  }
  Batch& b = *batch_;
  if (b.queued == kBatch) flush();
  const size_t i = b.queued++;
  std::memcpy(b.out[i].data(), datagram.data(), datagram.size());
  b.outIov[i].iov_len = datagram.size();
  const socklen_t len = toSockaddr(to, b.outTo[i]);
  b.outMsgs[i].msg_hdr = {};
  b.outMsgs[i].msg_hdr.msg_name = &b.outTo[i];
  b.outMsgs[i].msg_hdr.msg_namelen = len;
  b.outMsgs[i].msg_hdr.msg_iov = &b.outIov[i];
  b.outMsgs[i].msg_hdr.msg_iovlen = 1;
  // Outside a receive batch (a timer's RTCP, say) nothing else is coming: send now.
  if (!inBatch_) flush();
}

void UdpMux::flush() {
  Batch& b = *batch_;
  size_t done = 0;
  while (done < b.queued) {
    const int n = ::sendmmsg(fd_, b.outMsgs.data() + done, static_cast<unsigned>(b.queued - done), 0);
    ++counters_.sendBatches;
    if (n <= 0) {
      if (errno == EINTR) continue;
      // A full socket buffer or an unreachable peer: the rest of this batch
      // is lost, as a router would lose it; never block the media thread.
      counters_.sendErrors += b.queued - done;
      break;
    }
    counters_.datagramsSent += static_cast<uint64_t>(n);
    done += static_cast<size_t>(n);
  }
  b.queued = 0;
}

void UdpMux::onReadable() {
  Batch& b = *batch_;
  inBatch_ = true;
  for (;;) {
    for (size_t i = 0; i < kBatch; ++i) {
      b.inMsgs[i].msg_hdr = {};
      b.inMsgs[i].msg_hdr.msg_name = &b.inFrom[i];
      b.inMsgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      b.inMsgs[i].msg_hdr.msg_iov = &b.inIov[i];
      b.inMsgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd_, b.inMsgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    ++counters_.receiveBatches;
    counters_.datagramsReceived += static_cast<uint64_t>(n);
    for (int i = 0; i < n; ++i) {
      const size_t len = b.inMsgs[i].msg_len;
      if (b.inMsgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;  // larger than any media packet
      handle(std::span<uint8_t>(b.in[i].data(), len), fromSockaddr(b.inFrom[i]));
    }
    if (static_cast<size_t>(n) < kBatch) break;
  }
  inBatch_ = false;
  flush();
}

void UdpMux::handle(std::span<uint8_t> datagram, const SocketEndpoint& from) {
  if (looksLikeStun(datagram)) {
    handleStun(datagram, from, 0);
    return;
  }
  const auto it = byPath_.find(from);
  if (it == byPath_.end()) {
    ++counters_.unknownSource;
    return;
  }
  find(it->second)->listener->onMuxPacket(datagram);
}

IceLiteVerdict UdpMux::handleStun(std::span<uint8_t> datagram, const SocketEndpoint& from, SessionId only,
                                  SessionId* owner) {
  const auto m = StunMessage::parse(datagram);
  const auto user = m ? splitIceUsername(m->username) : std::nullopt;
  const auto found = user ? byUfrag_.find(user->local) : byUfrag_.end();
  if (found == byUfrag_.end() || (only != 0 && found->second != only)) {
    ++counters_.unknownUfrag;
    return IceLiteVerdict::Ignored;
  }
  const SessionId id = found->second;
  if (owner) *owner = id;
  Session& s = *find(id);  // indexed ids are live: remove() unindexes them
  const auto before = s.responder.selected();
  const auto o = s.responder.handle(datagram, from, IceLiteResponder::Clock::now(), batch_->response);
  if (o.verdict == IceLiteVerdict::Ignored) return o.verdict;
  ++(o.verdict == IceLiteVerdict::Accepted ? counters_.stunAnswered : counters_.stunRefused);
  queue(std::span<const uint8_t>(batch_->response).first(o.responseLength), from);
  if (o.pathChanged) {
    if (before) byPath_.erase(*before);
    forgetChecked(s, id);
    byPath_[from] = id;
    s.listener->onMuxPathSelected(from);
  } else if (o.verdict == IceLiteVerdict::Accepted && !s.responder.selected()) {
    s.latestChecked = from;
    const bool known = std::find(s.checked.begin(), s.checked.begin() + static_cast<long>(s.checkedCount), from) !=
                       s.checked.begin() + static_cast<long>(s.checkedCount);
    if (!known && s.checkedCount < s.checked.size()) {
      s.checked[s.checkedCount++] = from;
      byPath_.emplace(from, id);
    }
  }
  return o.verdict;
}

}  // namespace convox::rtc

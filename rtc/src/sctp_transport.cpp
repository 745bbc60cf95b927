#include "rtc/sctp_transport.hpp"

#include <arpa/inet.h>
#include <usrsctp.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <set>

namespace convox::rtc {

namespace {

constexpr uint16_t kMaxStreams = 1024;
constexpr uint32_t kSctpMtu = 1200;  // SCTP packet size that fits a DTLS record in one datagram

// Transports whose callbacks may still run. usrsctp calls back from its own
// timer thread too, so membership is checked under this lock; nothing that
// holds it calls into usrsctp (that would invert usrsctp's own lock order).
std::mutex gLiveMutex;
std::set<const void*> gLive;

}  // namespace

// usrsctp's C callbacks, with access to the transport's private members.
struct SctpCallbacks {
  static int output(void* addr, void* buffer, size_t length, uint8_t /*tos*/, uint8_t /*set_df*/) {
    std::lock_guard lock(gLiveMutex);
    if (!gLive.contains(addr)) return -1;
    static_cast<SctpTransport*>(addr)->onOutgoingPacket({static_cast<const uint8_t*>(buffer), length});
    return 0;
  }

  static int receive(struct socket*, union sctp_sockstore, void* data, size_t length, struct sctp_rcvinfo info,
                     int flags, void* ulpInfo) {
    if (!data) return 1;
    {
      std::lock_guard lock(gLiveMutex);
      if (gLive.contains(ulpInfo)) {
        auto* self = static_cast<SctpTransport*>(ulpInfo);
        // Handled later on the loop: the handler may send (an ACK, a reset),
        // which must not happen inside usrsctp's callback.
        std::vector<uint8_t> copy(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + length);
        const bool notification = (flags & MSG_NOTIFICATION) != 0;
        const bool eor = (flags & MSG_EOR) != 0;
        const uint16_t sid = info.rcv_sid;
        const uint32_t ppid = ntohl(info.rcv_ppid);
        std::weak_ptr<bool> alive = self->alive_;
        self->loop_.post([self, alive, copy = std::move(copy), notification, eor, sid, ppid] {
          if (alive.expired()) return;
          if (notification)
            self->onNotification(copy);
          else
            self->onIncoming(sid, ppid, copy, eor);
        });
      }
    }
    free(data);
    return 1;
  }

  static void ensureInitialised() {
    static std::once_flag once;
    std::call_once(once, [] {
      usrsctp_init(0, &SctpCallbacks::output, nullptr);
      // WebRTC peers use neither SCTP-AUTH nor ASCONF.
      usrsctp_sysctl_set_sctp_auth_enable(0);
      usrsctp_sysctl_set_sctp_asconf_enable(0);
      usrsctp_sysctl_set_sctp_pr_enable(1);
      usrsctp_sysctl_set_sctp_reconfig_enable(1);
      usrsctp_sysctl_set_sctp_ecn_enable(0);
    });
  }
};

SctpTransport::SctpTransport(EventLoop& loop, SctpTransportListener& listener, SctpSettings settings)
    : loop_(loop), listener_(listener), settings_(settings) {
  SctpCallbacks::ensureInitialised();
}

SctpTransport::~SctpTransport() {
  {
    std::lock_guard lock(gLiveMutex);
    gLive.erase(this);
  }
  alive_.reset();
  if (socket_) usrsctp_close(socket_);
  usrsctp_deregister_address(this);
}

bool SctpTransport::start(bool isDtlsClient, std::string& error) {
  if (socket_) return true;
  isDtlsClient_ = isDtlsClient;
  nextStreamId_ = isDtlsClient ? 0 : 1;
  usrsctp_register_address(this);
  {
    std::lock_guard lock(gLiveMutex);
    gLive.insert(this);
  }
  socket_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, &SctpCallbacks::receive, nullptr, 0, this);
  if (!socket_) {
    error = "usrsctp_socket failed: " + std::to_string(errno);
    return false;
  }
  auto set = [&](int level, int name, const void* value, socklen_t len, const char* what) {
    if (usrsctp_setsockopt(socket_, level, name, value, len) == 0) return true;
    error = std::string("usrsctp_setsockopt ") + what + " failed: " + std::to_string(errno);
    return false;
  };
  const int one = 1;
  const linger noLinger{1, 0};
  const sctp_assoc_value reset{SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ};
  sctp_initmsg init{};
  init.sinit_num_ostreams = kMaxStreams;
  init.sinit_max_instreams = kMaxStreams;
  sctp_paddrparams path{};
  path.spp_flags = SPP_PMTUD_DISABLE;
  path.spp_pathmtu = kSctpMtu;
  const int buffer = 1 << 20;
  if (usrsctp_set_non_blocking(socket_, 1) != 0 || !set(SOL_SOCKET, SO_LINGER, &noLinger, sizeof noLinger, "linger") ||
      !set(IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset, "stream reset") ||
      !set(IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one, "nodelay") ||
      !set(IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof one, "rcvinfo") ||
      !set(IPPROTO_SCTP, SCTP_EXPLICIT_EOR, &one, sizeof one, "explicit eor") ||
      !set(IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init, "initmsg") ||
      !set(IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &path, sizeof path, "path mtu") ||
      !set(SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer, "rcvbuf") ||
      !set(SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer, "sndbuf")) {
    return false;
  }
  for (uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SEND_FAILED_EVENT}) {
    sctp_event ev{};
    ev.se_assoc_id = SCTP_ALL_ASSOC;
    ev.se_on = 1;
    ev.se_type = type;
    if (!set(IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev, "event")) return false;
  }
  sockaddr_conn local{};
  local.sconn_family = AF_CONN;
  local.sconn_port = htons(settings_.localPort);
  local.sconn_addr = this;
  if (usrsctp_bind(socket_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    error = "usrsctp_bind failed: " + std::to_string(errno);
    return false;
  }
  sockaddr_conn remote = local;
  remote.sconn_port = htons(settings_.remotePort);
  if (usrsctp_connect(socket_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 && errno != EINPROGRESS) {
    error = "usrsctp_connect failed: " + std::to_string(errno);
    return false;
  }
  return true;
}

void SctpTransport::receive(std::span<const uint8_t> packet) {
  if (socket_) usrsctp_conninput(this, packet.data(), packet.size(), 0);
}

void SctpTransport::onOutgoingPacket(std::span<const uint8_t> packet) {
  if (loop_.isLoopThread()) {
    listener_.onSctpSend(packet);
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, copy = std::vector<uint8_t>(packet.begin(), packet.end())] {
    if (!alive.expired()) listener_.onSctpSend(copy);
  });
}

void SctpTransport::onNotification(std::span<const uint8_t> data) {
  if (data.size() < sizeof(sctp_notification::sctp_tlv)) return;
  const auto* n = reinterpret_cast<const sctp_notification*>(data.data());
  if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE && data.size() >= sizeof(sctp_assoc_change)) {
    switch (n->sn_assoc_change.sac_state) {
      case SCTP_COMM_UP:
        connected_ = true;
        listener_.onSctpConnected();
        break;
      case SCTP_COMM_LOST:
      case SCTP_SHUTDOWN_COMP:
      case SCTP_CANT_STR_ASSOC:
        connected_ = false;
        listener_.onSctpClosed("SCTP association ended");
        break;
      default:
        break;
    }
  } else if (n->sn_header.sn_type == SCTP_STREAM_RESET_EVENT && data.size() >= sizeof(sctp_stream_reset_event)) {
    const auto& ev = n->sn_strreset_event;
    if ((ev.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) == 0) return;
    const size_t count = (ev.strreset_length - sizeof(sctp_stream_reset_event)) / sizeof(uint16_t);
    const auto* streams = reinterpret_cast<const uint16_t*>(data.data() + sizeof(sctp_stream_reset_event));
    for (size_t i = 0; i < count && sizeof(sctp_stream_reset_event) + (i + 1) * 2 <= data.size(); ++i) {
      const uint16_t sid = streams[i];
      if (!channels_.contains(sid)) continue;
      closeChannel(sid);  // the peer closed its side; close ours (RFC 8831 §6.7)
    }
  }
}

void SctpTransport::onIncoming(uint16_t streamId, uint32_t ppid, std::span<const uint8_t> data, bool endOfRecord) {
  auto& partial = channels_[streamId].partial;
  if (!endOfRecord || !partial.empty()) {
    if (partial.size() + data.size() > settings_.maxMessageSize) {
      partial.clear();  // drop an oversized message rather than grow without bound
      return;
    }
    partial.insert(partial.end(), data.begin(), data.end());
    if (!endOfRecord) return;
    const auto whole = std::move(partial);
    partial.clear();
    deliver(streamId, ppid, whole);
    return;
  }
  deliver(streamId, ppid, data);
}

void SctpTransport::deliver(uint16_t streamId, uint32_t ppid, std::span<const uint8_t> data) {
  switch (static_cast<Ppid>(ppid)) {
    case Ppid::Dcep:
      return onDcep(streamId, data);
    case Ppid::String:
      return listener_.onDataChannelMessage(streamId, data, false);
    case Ppid::Binary:
      return listener_.onDataChannelMessage(streamId, data, true);
    case Ppid::StringEmpty:
      return listener_.onDataChannelMessage(streamId, {}, false);
    case Ppid::BinaryEmpty:
      return listener_.onDataChannelMessage(streamId, {}, true);
  }
  // Unknown PPIDs are ignored (RFC 8831 §8).
}

void SctpTransport::onDcep(uint16_t streamId, std::span<const uint8_t> message) {
  if (message.empty()) return;
  auto& channel = channels_[streamId];
  if (message[0] == static_cast<uint8_t>(DcepMessageType::Ack)) {
    if (!channel.open) {
      channel.open = true;
      listener_.onDataChannelOpen(streamId, channel.label, channel.options);
    }
    return;
  }
  std::string error;
  auto open = parseDcepOpen(message, error);
  if (!open) return;
  channel.label = open->label;
  channel.options = open->options;
  channel.open = true;
  const auto ack = buildDcepAck();
  sendRaw(streamId, static_cast<uint32_t>(Ppid::Dcep), ack, DataChannelOptions{});
  listener_.onDataChannelOpen(streamId, channel.label, channel.options);
}

std::optional<uint16_t> SctpTransport::openChannel(const std::string& label, const DataChannelOptions& options) {
  while (nextStreamId_ < kMaxStreams && channels_.contains(nextStreamId_)) nextStreamId_ += 2;
  if (nextStreamId_ >= kMaxStreams || !socket_) return std::nullopt;
  const uint16_t sid = nextStreamId_;
  nextStreamId_ += 2;
  auto& channel = channels_[sid];
  channel.label = label;
  channel.options = options;
  const auto open = buildDcepOpen({label, options});
  // DCEP messages are always sent reliably and in order.
  if (!sendRaw(sid, static_cast<uint32_t>(Ppid::Dcep), open, DataChannelOptions{})) {
    channels_.erase(sid);
    return std::nullopt;
  }
  return sid;
}

bool SctpTransport::send(uint16_t streamId, std::span<const uint8_t> data, bool binary) {
  auto it = channels_.find(streamId);
  if (it == channels_.end() || data.size() > settings_.maxMessageSize) return false;
  if (data.empty()) {
    // An empty message travels as one zero byte with the "empty" PPID.
    static constexpr uint8_t kZero[1] = {0};
    return sendRaw(streamId, static_cast<uint32_t>(binary ? Ppid::BinaryEmpty : Ppid::StringEmpty), kZero,
                   it->second.options);
  }
  return sendRaw(streamId, static_cast<uint32_t>(binary ? Ppid::Binary : Ppid::String), data, it->second.options);
}

bool SctpTransport::sendRaw(uint16_t streamId, uint32_t ppid, std::span<const uint8_t> data,
                            const DataChannelOptions& options) {
  if (!socket_) return false;
  sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = streamId;
  spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR | (options.ordered ? 0 : SCTP_UNORDERED);
  if (options.maxRetransmits) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
    spa.sendv_prinfo.pr_value = *options.maxRetransmits;
  } else if (options.maxPacketLifeTimeMs) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = *options.maxPacketLifeTimeMs;
  }
  const ssize_t n = usrsctp_sendv(socket_, data.data(), data.size(), nullptr, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0);
  return n >= 0 && static_cast<size_t>(n) == data.size();
}

void SctpTransport::closeChannel(uint16_t streamId) {
  if (!channels_.erase(streamId) || !socket_) return;
  const size_t len = sizeof(sctp_reset_streams) + sizeof(uint16_t);
  std::vector<uint8_t> buf(len);
  auto* reset = reinterpret_cast<sctp_reset_streams*>(buf.data());
  reset->srs_assoc_id = SCTP_ALL_ASSOC;
  reset->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  reset->srs_number_streams = 1;
  reset->srs_stream_list[0] = streamId;
  usrsctp_setsockopt(socket_, IPPROTO_SCTP, SCTP_RESET_STREAMS, reset, static_cast<socklen_t>(len));
  listener_.onDataChannelClosed(streamId);
}

}  // namespace convox::rtc

#include "media_worker.hpp"

#include "common/logging.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace convox::sfu {

namespace {

// RFC 8445 §5.3 ice-chars, as the mux's own tokens use them.
constexpr std::string_view kIceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string MediaWorker::ufragPrefix(size_t index) { return {kIceChars[(index / 64) % 64], kIceChars[index % 64]}; }

std::optional<size_t> MediaWorker::threadOfUfrag(std::string_view ufrag) {
  if (ufrag.size() < 2) return std::nullopt;
  const size_t high = kIceChars.find(ufrag[0]);
  const size_t low = kIceChars.find(ufrag[1]);
  if (high == std::string_view::npos || low == std::string_view::npos) return std::nullopt;
  return high * 64 + low;
}

rtc::SocketEndpoint MediaWorker::bindAddress(const MediaSettings& settings) {
  auto bindTo = rtc::SocketEndpoint::v4(0, 0, 0, 0, 0);
  // One interface: bound to it (tests keep to their namespace address this
  // way); several: to all, as their candidates must all answer.
  if (settings.interfaces.size() == 1) {
    const std::string& only = settings.interfaces.front();
    if (auto e = rtc::SocketEndpoint::parse(only.find(':') != std::string::npos ? "[" + only + "]:0" : only + ":0")) {
      bindTo = *e;
    }
  }
  return bindTo;
}

MediaWorker::MediaWorker(MediaSettings settings, size_t index)
    : settings_(std::move(settings)),
      index_(index),
      loop_(settings_.sharedUdpSocket ? rtc::EventLoopDriver::Asio : rtc::EventLoopDriver::Glib) {
  std::string error;
  certificate_ = rtc::DtlsCertificate::generate(error);
  if (!certificate_) common::logger("media")->error("cannot create the DTLS certificate: {}", error);
  loop_.setExceptionHandler(
      [](std::string_view what) { common::logger("media")->error("a task on a media thread threw: {}", what); });
  if (settings_.sharedUdpSocket) openSharedSocket();
  thread_ = std::thread([this] { loop_.run(); });
}

// The thread's one UDP socket: on the first configured interface (or all),
// at the first free port of the range; its candidates name the configured
// interfaces, or every IPv4 address this host has.
void MediaWorker::openSharedSocket() {
  auto bindTo = bindAddress(settings_);
  candidateAddresses_ = settings_.interfaces;
  if (candidateAddresses_.empty()) candidateAddresses_ = hostAddresses();
  mux_ = std::make_unique<rtc::UdpMux>(loop_);
  std::string error;
  const uint16_t first = settings_.portMin ? settings_.portMin : 0;
  const uint16_t last = settings_.portMin ? std::max(settings_.portMin, settings_.portMax) : 0;
  for (uint32_t port = first; port <= last; ++port) {
    bindTo.port = static_cast<uint16_t>(port);
    if (mux_->open(bindTo, error)) {
      common::logger("media")->info("media thread UDP socket on {}", mux_->localEndpoint().toString());
      return;
    }
  }
  common::logger("media")->error("no UDP port for the media thread's socket: {}", error);
}

std::vector<std::string> MediaWorker::hostAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
          (i->ifa_flags & IFF_LOOPBACK)) {
        continue;
      }
      char host[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, host, sizeof host);
      out.emplace_back(host);
    }
    freeifaddrs(list);
  }
  if (out.empty()) out.emplace_back("127.0.0.1");
  return out;
}

MediaWorker::~MediaWorker() { stop(); }

void MediaWorker::stop() {
  loop_.stop();
  if (thread_.joinable()) thread_.join();
}

rtc::WebRtcTransportSettings MediaWorker::transportSettings(bool dataChannels) const {
  rtc::WebRtcTransportSettings settings;
  settings.ice.role = rtc::IceRole::Lite;
  settings.ice.localAddresses = settings_.interfaces;
  settings.ice.announcedAddress = settings_.announcedIp;
  settings.ice.portMin = settings_.portMin;
  settings.ice.portMax = settings_.portMax;
  settings.certificate = certificate_;
  settings.dataChannels = dataChannels;
  settings.srtpImplementation = settings_.srtp;
  if (mux_) {
    settings.ice.mux = mux_.get();
    settings.ice.localAddresses = candidateAddresses_;
    settings.ice.muxTcpPort = settings_.tcpPort;
    settings.ice.ufragPrefix = ufragPrefix(index_);
  }
  return settings;
}

MediaWorkerPool::MediaWorkerPool(const MediaSettings& settings, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  MediaSettings each = settings;
  if (!settings.sharedUdpSocket || settings.tcpPort == 0) {
    each.tcpPort = 0;
  } else {
    // Bound before the threads start, so each knows the port it announces.
    tcp_ = std::make_unique<rtc::TcpIceListener>();
    auto at = MediaWorker::bindAddress(settings);
    at.port = settings.tcpPort;
    std::string error;
    if (tcp_->open(at, error)) {
      common::logger("media")->info("ICE-TCP listener on {}", tcp_->localEndpoint().toString());
    } else {
      common::logger("media")->error("no ICE-TCP (rtc.tcp_port): {}", error);
      tcp_.reset();
      each.tcpPort = 0;
    }
  }
  for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<MediaWorker>(each, i));
  if (tcp_) {
    // workers_ no longer changes: the first thread may read it from here on.
    workers_.front()->loop().post([this] {
      if (!tcp_) return;  // drained at the pool's end
      tcp_->start(workers_.front()->loop(), [this](rtc::AcceptedTcpIce a) { handOver(std::move(a)); });
    });
  }
}

MediaWorkerPool::~MediaWorkerPool() {
  // The listener lives on the first thread: stopped threads first, then it.
  for (auto& w : workers_) w->stop();
  tcp_.reset();
}

void MediaWorkerPool::handOver(rtc::AcceptedTcpIce accepted) {
  const auto index = MediaWorker::threadOfUfrag(accepted.localUfrag);
  if (!index || *index >= workers_.size() || !workers_[*index]->mux()) {
    ::close(accepted.fd);
    return;
  }
  workers_[*index]->adoptTcp(std::move(accepted));
}

void MediaWorker::adoptTcp(rtc::AcceptedTcpIce accepted) {
  // Closed by the holder if the task never reaches the mux (the thread is
  // stopping: a drained task finds `alive` gone).
  struct Held {
    rtc::AcceptedTcpIce a;
    Held() = default;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
      if (a.fd >= 0) ::close(a.fd);
    }
  };
  auto held = std::make_shared<Held>();
  held->a = std::move(accepted);
  loop_.post([this, held, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    mux_->adoptTcp(std::exchange(held->a.fd, -1), held->a.peer, held->a.bytes);
  });
}

MediaWorker& MediaWorkerPool::pick() {
  auto& worker = *workers_[next_];
  next_ = (next_ + 1) % workers_.size();
  return worker;
}

}  // namespace convox::sfu

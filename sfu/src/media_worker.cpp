#include "media_worker.hpp"

#include "common/logging.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>

namespace convox::sfu {

MediaWorker::MediaWorker(MediaSettings settings)
    : settings_(std::move(settings)),
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
  auto bindTo = rtc::SocketEndpoint::v4(0, 0, 0, 0, 0);
  // One interface: bound to it (tests keep to their namespace address this
  // way); several: to all, as their candidates must all answer.
  if (settings_.interfaces.size() == 1) {
    const std::string& only = settings_.interfaces.front();
    if (auto e = rtc::SocketEndpoint::parse(only.find(':') != std::string::npos ? "[" + only + "]:0" : only + ":0")) {
      bindTo = *e;
    }
  }
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

MediaWorker::~MediaWorker() {
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
  }
  return settings;
}

MediaWorkerPool::MediaWorkerPool(const MediaSettings& settings, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) workers_.push_back(std::make_unique<MediaWorker>(settings));
}

MediaWorker& MediaWorkerPool::pick() {
  auto& worker = *workers_[next_];
  next_ = (next_ + 1) % workers_.size();
  return worker;
}

}  // namespace convox::sfu

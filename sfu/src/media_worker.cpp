#include "media_worker.hpp"

#include "common/logging.hpp"

#include <algorithm>

namespace convox::sfu {

MediaWorker::MediaWorker(MediaSettings settings) : settings_(std::move(settings)) {
  std::string error;
  certificate_ = rtc::DtlsCertificate::generate(error);
  if (!certificate_) common::logger("media")->error("cannot create the DTLS certificate: {}", error);
  loop_.setExceptionHandler(
      [](std::string_view what) { common::logger("media")->error("a task on a media thread threw: {}", what); });
  thread_ = std::thread([this] { loop_.run(); });
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

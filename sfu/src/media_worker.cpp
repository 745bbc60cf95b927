#include "media_worker.hpp"

#include "common/logging.hpp"

namespace convox::sfu {

MediaWorker::MediaWorker(MediaSettings settings) : settings_(std::move(settings)) {
  std::string error;
  certificate_ = rtc::DtlsCertificate::generate(error);
  if (!certificate_) common::logger("media")->error("cannot create the DTLS certificate: {}", error);
  thread_ = std::thread([this] { loop_.run(); });
}

MediaWorker::~MediaWorker() {
  loop_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace convox::sfu

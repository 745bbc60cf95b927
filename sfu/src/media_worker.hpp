#pragma once

#include "rtc/dtls_certificate.hpp"
#include "rtc/event_loop.hpp"
#include "rtc/udp_mux.hpp"
#include "rtc/webrtc_transport.hpp"
#include "sfu/signal_service.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace convox::sfu {

// One media thread: an rtc::EventLoop running on a thread of its own, and
// the DTLS certificate its transports present.
// The media threads' clock for packet timing (arrival, layer liveness, NACK pacing).
inline int64_t steadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class MediaWorker {
 public:
  explicit MediaWorker(MediaSettings settings);
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  rtc::EventLoop& loop() { return loop_; }
  const std::shared_ptr<const rtc::DtlsCertificate>& certificate() const { return certificate_; }
  const MediaSettings& settings() const { return settings_; }
  // ICE-lite transport settings for a peer connection on this thread.
  rtc::WebRtcTransportSettings transportSettings(bool dataChannels) const;

 private:
  void openSharedSocket();
  static std::vector<std::string> hostAddresses();

  const MediaSettings settings_;
  std::shared_ptr<const rtc::DtlsCertificate> certificate_;
  rtc::EventLoop loop_;               // on Asio with the shared socket; libnice needs GLib
  std::unique_ptr<rtc::UdpMux> mux_;  // with rtc.ice_transport: mux; before the thread, after the loop
  std::vector<std::string> candidateAddresses_;
  std::thread thread_;
};

// The media threads. Each room is placed on one of them when it first
// needs media, and stays there: its transports and forwarding never cross
// threads (DESIGN §3).
class MediaWorkerPool {
 public:
  MediaWorkerPool(const MediaSettings& settings, unsigned threads);
  MediaWorker& pick();  // round robin
  size_t size() const { return workers_.size(); }

 private:
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  size_t next_ = 0;
};

}  // namespace convox::sfu

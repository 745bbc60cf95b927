#pragma once

#include "rtc/dtls_certificate.hpp"
#include "rtc/event_loop.hpp"
#include "rtc/tcp_ice_listener.hpp"
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
  // `index` names the thread in its sessions' ufrags (ICE-TCP routing).
  explicit MediaWorker(MediaSettings settings, size_t index = 0);
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  rtc::EventLoop& loop() { return loop_; }
  const std::shared_ptr<const rtc::DtlsCertificate>& certificate() const { return certificate_; }
  const MediaSettings& settings() const { return settings_; }
  // ICE-lite transport settings for a peer connection on this thread.
  rtc::WebRtcTransportSettings transportSettings(bool dataChannels) const;
  // Null without the shared socket.
  rtc::UdpMux* mux() { return mux_.get(); }
  // An ICE-TCP connection for this thread's mux; callable from any thread.
  void adoptTcp(rtc::AcceptedTcpIce accepted);
  // Stops and joins the thread (the destructor does it too).
  void stop();

  // The prefix of the ufrags of media thread `index`, and back: two ice-chars.
  static std::string ufragPrefix(size_t index);
  static std::optional<size_t> threadOfUfrag(std::string_view ufrag);
  // Where the shared UDP socket and the ICE-TCP listener bind: the one
  // configured interface, or all.
  static rtc::SocketEndpoint bindAddress(const MediaSettings& settings);

 private:
  void openSharedSocket();
  static std::vector<std::string> hostAddresses();

  const MediaSettings settings_;
  const size_t index_;
  std::shared_ptr<const rtc::DtlsCertificate> certificate_;
  rtc::EventLoop loop_;               // on Asio with the shared socket; libnice needs GLib
  std::unique_ptr<rtc::UdpMux> mux_;  // with rtc.ice_transport: mux; before the thread, after the loop
  std::vector<std::string> candidateAddresses_;
  // Gone before mux_ and loop_: tasks drained at the loop's end skip the mux.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::thread thread_;
};

// The media threads. Each room is placed on one of them when it first
// needs media, and stays there: its transports and forwarding never cross
// threads (DESIGN §3).
//
// With the shared UDP sockets the pool also owns the one ICE-TCP listener
// (rtc.tcp_port): it runs on the first media thread, and hands each
// connection to the thread its first binding request's ufrag names. One
// port for all threads, as LiveKit has, so a firewall opens one TCP port;
// the kernel's SO_REUSEPORT spread would land connections on arbitrary
// threads and need the same hand-over.
class MediaWorkerPool {
 public:
  MediaWorkerPool(const MediaSettings& settings, unsigned threads);
  ~MediaWorkerPool();
  MediaWorkerPool(const MediaWorkerPool&) = delete;
  MediaWorkerPool& operator=(const MediaWorkerPool&) = delete;
  MediaWorker& pick();  // round robin
  size_t size() const { return workers_.size(); }

 private:
  void handOver(rtc::AcceptedTcpIce accepted);  // on the first media thread

  std::unique_ptr<rtc::TcpIceListener> tcp_;  // before workers_: alive while their loops drain
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  size_t next_ = 0;
};

}  // namespace convox::sfu

#pragma once

// One provider's standing in a fallback list (LLM, STT and TTS alike): a
// provider that failed a caller's request is unavailable and probed in the
// background, first after `first`, then at doubling delays up to `max`,
// until a probe answers (or a caller's request does, when every provider was
// down and it was tried anyway). The stage says what a probe is.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace convox::voice {

class ProviderRecovery {
 public:
  struct Probe {
    // True while a caller's request is using the provider: that request's
    // outcome decides, and the probe waits for the next delay.
    std::function<bool()> busy;
    // Sends a probe; its outcome comes back through probeEnded().
    std::function<void()> start;
  };

  // `description` names the provider in the log, e.g. "language model openai".
  ProviderRecovery(boost::asio::io_context& io, std::chrono::milliseconds first, std::chrono::milliseconds max,
                   std::string description);
  ProviderRecovery(const ProviderRecovery&) = delete;
  ProviderRecovery& operator=(const ProviderRecovery&) = delete;

  void setProbe(Probe probe) { probe_ = std::move(probe); }

  bool available() const { return available_; }
  bool probing() const { return probing_; }

  // A caller's request failed on this provider.
  void failed();
  // A caller's request succeeded on it.
  void succeeded();
  // The probe in flight answered, or failed (then the next one is armed).
  void probeEnded(bool ok);
  // A caller needs the provider now: the probe in flight, if any, is given
  // up. True if there was one (the caller then cancels it on the service).
  bool abandonProbe();

 private:
  void arm();

  const std::chrono::milliseconds first_;
  const std::chrono::milliseconds max_;
  const std::string description_;
  Probe probe_;
  bool available_ = true;
  bool probing_ = false;
  std::chrono::milliseconds delay_{0};
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::voice

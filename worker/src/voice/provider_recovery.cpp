#include "provider_recovery.hpp"

#include "common/logging.hpp"

#include <algorithm>
#include <utility>

namespace convox::voice {

ProviderRecovery::ProviderRecovery(boost::asio::io_context& io, std::chrono::milliseconds first,
                                   std::chrono::milliseconds max, std::string description)
    : first_(first), max_(max), description_(std::move(description)), timer_(io) {}

void ProviderRecovery::failed() {
  available_ = false;
  // A probe in flight reports on its own; a second one would race it.
  if (!probing_) arm();
}

void ProviderRecovery::succeeded() {
  if (available_) return;
  available_ = true;
  delay_ = std::chrono::milliseconds(0);
  timer_.cancel();
  common::logger("worker")->info("{} answers again", description_);
}

void ProviderRecovery::probeEnded(bool ok) {
  probing_ = false;
  if (ok) return succeeded();
  arm();
}

bool ProviderRecovery::abandonProbe() { return std::exchange(probing_, false); }

void ProviderRecovery::arm() {
  delay_ = delay_.count() == 0 ? first_ : std::min(delay_ * 2, max_);
  timer_.expires_after(delay_);
  // A handler already queued when this object goes away still runs once.
  timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    if (ec || alive.expired() || available_) return;
    if (probe_.busy && probe_.busy()) return arm();
    probing_ = true;
    if (probe_.start) probe_.start();
  });
}

}  // namespace convox::voice

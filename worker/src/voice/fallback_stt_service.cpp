// FallbackSttService: see voice/fallback_services.hpp.

#include "voice/fallback_services.hpp"

#include "provider_recovery.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <optional>

namespace convox::voice {

namespace {

constexpr size_t kMaxKeptSamples = size_t{kSttSampleRate} * 15;  // audio kept for a retry elsewhere

class FallbackSttService final : public SttService {
 public:
  FallbackSttService(boost::asio::io_context& io, std::vector<std::unique_ptr<SttService>> services,
                     ServiceFallbackSettings settings)
      : io_(io), settings_(std::move(settings)) {
    for (auto& s : services) {
      auto e = std::make_unique<Entry>(io, settings_, s->provider());
      e->service = std::move(s);
      Entry& entry = *e;
      e->recovery.setProbe({[this, &entry] { return busy(entry); }, [this, &entry] { probe(entry); }});
      entries_.push_back(std::move(e));
    }
    openAudio_.reserve(size_t{kSttSampleRate} * 5);
  }
  ~FallbackSttService() override { *alive_ = false; }

  const std::string& provider() const override { return entries_[preferred()]->service->provider(); }

  void warm() override {
    // Only the one that will answer: a warmed fallback is a socket billed for nothing.
    entries_[preferred()]->service->warm();
  }

  void push(std::span<const int16_t> pcm) override {
    if (!open_) {
      open_ = choose({});
      openAudio_.clear();
    }
    entries_[*open_]->service->push(pcm);
    const size_t n = std::min(pcm.size(), kMaxKeptSamples - std::min(kMaxKeptSamples, openAudio_.size()));
    openAudio_.insert(openAudio_.end(), pcm.begin(), pcm.begin() + static_cast<long>(n));
  }

  void finish(SttCallbacks callbacks) override {
    if (!open_) {
      open_ = choose({});
      openAudio_.clear();
    }
    auto u = std::make_unique<Utterance>(io_);
    u->id = ++nextId_;
    u->audio = openAudio_;  // the copy stays with the utterance for a retry
    u->callbacks = std::move(callbacks);
    u->tried.assign(entries_.size(), false);
    u->service = *std::exchange(open_, std::nullopt);
    openAudio_.clear();
    Utterance& ref = *u;
    pending_.push_back(std::move(u));
    request(ref, false);
  }

  void setInterimHandler(std::function<void(const SttResult&)> handler) override {
    interim_ = std::move(handler);
    for (size_t i = 0; i < entries_.size(); ++i) {
      entries_[i]->service->setInterimHandler([this, i](const SttResult& r) {
        // Only the one hearing the open utterance speaks for it.
        if (interim_ && open_ && *open_ == i) interim_(r);
      });
    }
  }

  void cancel() override {
    for (auto& e : entries_) {
      e->service->cancel();
      // Nobody's outcome will decide for a probe cut here: the next one is armed.
      if (e->recovery.probing()) e->recovery.probeEnded(false);
    }
    pending_.clear();
    open_.reset();
    openAudio_.clear();
  }

  void close() override {
    for (auto& e : entries_) e->service->close();
  }

 private:
  struct Entry {
    Entry(boost::asio::io_context& io, const ServiceFallbackSettings& s, const std::string& name)
        : recovery(io, s.recoveryDelay, s.recoveryMaxDelay, "speech recognition " + name) {}
    std::unique_ptr<SttService> service;
    ProviderRecovery recovery;
    std::vector<int16_t> probeAudio;  // the utterance it failed, replayed by the probe
  };
  struct Utterance {
    explicit Utterance(boost::asio::io_context& io) : timer(io) {}
    uint64_t id = 0;
    std::vector<int16_t> audio;
    SttCallbacks callbacks;
    size_t service = 0;
    std::vector<bool> tried;
    boost::asio::steady_timer timer;
  };

  size_t preferred() const {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i]->recovery.available()) return i;
    }
    return 0;
  }

  // The first available untried entry, else the first untried; never one
  // an open utterance is streaming into (its audio would mix).
  std::optional<size_t> choose(const std::vector<bool>& tried, std::optional<size_t> busy = std::nullopt) {
    auto usable = [&](size_t i) { return (tried.empty() || !tried[i]) && (!busy || *busy != i); };
    std::optional<size_t> pick;
    for (size_t i = 0; i < entries_.size() && !pick; ++i) {
      if (entries_[i]->recovery.available() && usable(i)) pick = i;
    }
    for (size_t i = 0; i < entries_.size() && !pick; ++i) {
      if (usable(i)) pick = i;
    }
    if (!pick && tried.empty()) pick = 0;
    // The caller comes first: the probe's utterance is dropped.
    if (pick && entries_[*pick]->recovery.abandonProbe()) entries_[*pick]->service->cancel();
    return pick;
  }

  Utterance* find(uint64_t id) {
    for (auto& u : pending_) {
      if (u->id == id) return u.get();
    }
    return nullptr;
  }

  void erase(uint64_t id) {
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(), [id](const auto& u) { return u->id == id; }),
                   pending_.end());
  }

  void request(Utterance& u, bool replay) {
    u.tried[u.service] = true;
    auto& service = *entries_[u.service]->service;
    if (replay && !u.audio.empty()) service.push(u.audio);
    const uint64_t id = u.id;
    const size_t index = u.service;
    std::weak_ptr<bool> alive = alive_;
    SttCallbacks cb;
    cb.onFinal = [this, alive, id, index](SttResult result, const std::string& error) {
      if (alive.expired()) return;
      Utterance* u = find(id);
      if (u == nullptr || u->service != index) return;  // cancelled, or timed out and moved on
      u->timer.cancel();
      if (!error.empty()) return failover(*u, "error", error);
      entries_[index]->recovery.succeeded();
      if (result.provider.empty()) result.provider = entries_[index]->service->provider();
      auto callbacks = std::move(u->callbacks);
      erase(id);
      if (callbacks.onFinal) callbacks.onFinal(std::move(result), {});
    };
    service.finish(std::move(cb));
    u.timer.expires_after(settings_.timeout);
    u.timer.async_wait([this, alive, id, index](const boost::system::error_code& ec) {
      if (ec || alive.expired()) return;
      Utterance* u = find(id);
      if (u == nullptr || u->service != index) return;
      // Its late answer, if any, is ignored (the id moved on); the service
      // is not cancelled: a newer utterance may be streaming into it.
      failover(*u, "timeout", "no transcript within " + std::to_string(settings_.timeout.count()) + " ms");
    });
  }

  void failover(Utterance& u, const std::string& kind, const std::string& reason) {
    Entry& failed = *entries_[u.service];
    const std::string from = failed.service->provider();
    failed.probeAudio = u.audio;
    failed.recovery.failed();
    const auto next = choose(u.tried, open_);
    if (!next) {
      if (settings_.onEvent) settings_.onEvent({from, kind, reason, {}});
      auto callbacks = std::move(u.callbacks);
      const uint64_t id = u.id;
      erase(id);
      if (callbacks.onFinal) callbacks.onFinal({}, from + ": " + reason);
      return;
    }
    if (settings_.onEvent) {
      settings_.onEvent({from, "fallback", kind + ": " + reason, entries_[*next]->service->provider()});
    }
    u.service = *next;
    request(u, true);
  }

  // Busy with a caller's utterance (everything was unavailable): its outcome decides.
  bool busy(const Entry& e) const {
    if (open_ && entries_[*open_].get() == &e) return true;
    return std::any_of(pending_.begin(), pending_.end(),
                       [&](const auto& u) { return entries_[u->service].get() == &e; });
  }

  void probe(Entry& e) {
    if (!e.probeAudio.empty()) e.service->push(e.probeAudio);
    SttCallbacks cb;
    cb.onFinal = [alive = std::weak_ptr<bool>(alive_), &e](SttResult, const std::string& error) {
      if (alive.expired() || !e.recovery.probing()) return;
      e.recovery.probeEnded(error.empty());
    };
    e.service->finish(std::move(cb));
  }

  boost::asio::io_context& io_;
  ServiceFallbackSettings settings_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::optional<size_t> open_;      // the entry the open utterance streams into
  std::vector<int16_t> openAudio_;  // its audio so far, kept for a retry elsewhere
  std::deque<std::unique_ptr<Utterance>> pending_;
  std::function<void(const SttResult&)> interim_;
  uint64_t nextId_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<SttService> makeFallbackSttService(boost::asio::io_context& io,
                                                   std::vector<std::unique_ptr<SttService>> services,
                                                   ServiceFallbackSettings settings) {
  return std::make_unique<FallbackSttService>(io, std::move(services), std::move(settings));
}

}  // namespace convox::voice

// FallbackTtsService: see voice/fallback_services.hpp.

#include "voice/fallback_services.hpp"

#include "provider_recovery.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <limits>
#include <optional>

namespace convox::voice {

namespace {

constexpr const char* kProbeText = "Hello.";
// Utterance ids of the background retries: never the agent's (it counts from 1).
constexpr uint64_t kProbeUtterance = std::numeric_limits<uint64_t>::max();

// Outside the class: clang cannot default-construct a nested struct with
// member initializers inside an optional<> member's emplace().
struct Sentence {
  std::string text;
  uint64_t utterance = 0;
  TtsCallbacks callbacks;
  std::vector<bool> tried;
  size_t service = 0;
  bool delivered = false;
};
class FallbackTtsService final : public TtsService {
 public:
  FallbackTtsService(boost::asio::io_context& io, std::vector<std::unique_ptr<TtsService>> services,
                     ServiceFallbackSettings settings)
      : settings_(std::move(settings)), timer_(io) {
    for (auto& s : services) {
      auto e = std::make_unique<Entry>(io, settings_, s->provider());
      e->service = std::move(s);
      Entry& entry = *e;
      e->recovery.setProbe({[this, &entry] { return sentence_ && entries_[sentence_->service].get() == &entry; },
                            [this, &entry] { probe(entry); }});
      entries_.push_back(std::move(e));
    }
  }
  ~FallbackTtsService() override { *alive_ = false; }

  const std::string& provider() const override { return entries_[preferred()]->service->provider(); }

  void warm() override { entries_[preferred()]->service->warm(); }

  void synthesize(const std::string& text, uint64_t utteranceId, TtsCallbacks callbacks) override {
    sentence_.emplace();
    sentence_->text = text;
    sentence_->utterance = utteranceId;
    sentence_->callbacks = std::move(callbacks);
    sentence_->tried.assign(entries_.size(), false);
    const auto first = choose(sentence_->tried);
    attempt(first.value_or(0));
  }

  void endUtterance(uint64_t utteranceId) override {
    for (auto& e : entries_) {
      if (e->lastUtterance == utteranceId) e->service->endUtterance(utteranceId);
    }
  }

  void cancel() override {
    timer_.cancel();
    if (sentence_) {
      ++attemptId_;
      sentence_.reset();
    }
    // Each service that spoke for the reply closes it (a context, a request).
    for (auto& e : entries_) {
      if (e->lastUtterance != 0 && !e->recovery.probing()) e->service->cancel();
    }
  }

  void close() override {
    for (auto& e : entries_) e->service->close();
  }

 private:
  struct Entry {
    Entry(boost::asio::io_context& io, const ServiceFallbackSettings& s, const std::string& name)
        : recovery(io, s.recoveryDelay, s.recoveryMaxDelay, "speech synthesis " + name) {}
    std::unique_ptr<TtsService> service;
    ProviderRecovery recovery;
    uint64_t lastUtterance = 0;
  };

  size_t preferred() const {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i]->recovery.available()) return i;
    }
    return 0;
  }

  std::optional<size_t> choose(const std::vector<bool>& tried) {
    std::optional<size_t> pick;
    for (size_t i = 0; i < entries_.size() && !pick; ++i) {
      if (entries_[i]->recovery.available() && !tried[i]) pick = i;
    }
    for (size_t i = 0; i < entries_.size() && !pick; ++i) {
      if (!tried[i]) pick = i;
    }
    if (pick && entries_[*pick]->recovery.abandonProbe()) entries_[*pick]->service->cancel();
    return pick;
  }

  void attempt(size_t index) {
    auto& s = *sentence_;
    s.tried[index] = true;
    s.service = index;
    s.delivered = false;
    Entry& e = *entries_[index];
    e.lastUtterance = s.utterance;
    const uint64_t id = ++attemptId_;
    std::weak_ptr<bool> alive = alive_;
    auto live = [this, alive, id] { return !alive.expired() && sentence_ && attemptId_ == id; };
    TtsCallbacks cb;
    cb.onAudio = [this, live](std::span<const int16_t> pcm) {
      if (!live()) return;
      if (!sentence_->delivered) {
        sentence_->delivered = true;
        timer_.cancel();
      }
      if (sentence_->callbacks.onAudio) sentence_->callbacks.onAudio(pcm);
    };
    cb.onDone = [this, live, index](TtsStats stats, const std::string& error) {
      if (!live()) return;
      timer_.cancel();
      if (!error.empty() && !sentence_->delivered) return failover("error", error);
      if (error.empty()) entries_[index]->recovery.succeeded();
      if (stats.provider.empty()) stats.provider = entries_[index]->service->provider();
      auto callbacks = std::move(sentence_->callbacks);
      sentence_.reset();
      if (callbacks.onDone) callbacks.onDone(std::move(stats), error);
    };
    timer_.expires_after(settings_.timeout);
    timer_.async_wait([this, live, index](const boost::system::error_code& ec) {
      if (ec || !live() || sentence_->delivered) return;
      entries_[index]->service->cancel();
      failover("timeout", "no audio within " + std::to_string(settings_.timeout.count()) + " ms");
    });
    e.service->synthesize(s.text, s.utterance, std::move(cb));
  }

  void failover(const std::string& kind, const std::string& reason) {
    Entry& failed = *entries_[sentence_->service];
    const std::string from = failed.service->provider();
    failed.recovery.failed();
    const auto next = choose(sentence_->tried);
    if (!next) {
      if (settings_.onEvent) settings_.onEvent({from, kind, reason, {}});
      auto callbacks = std::move(sentence_->callbacks);
      sentence_.reset();
      if (callbacks.onDone) callbacks.onDone({}, from + ": " + reason);
      return;
    }
    if (settings_.onEvent) {
      settings_.onEvent({from, "fallback", kind + ": " + reason, entries_[*next]->service->provider()});
    }
    attempt(*next);
  }

  void probe(Entry& e) {
    TtsCallbacks cb;
    cb.onAudio = [](std::span<const int16_t>) {};  // a probe is not heard
    cb.onDone = [alive = std::weak_ptr<bool>(alive_), &e](TtsStats, const std::string& error) {
      if (alive.expired() || !e.recovery.probing()) return;
      e.service->endUtterance(kProbeUtterance);
      e.recovery.probeEnded(error.empty());
    };
    e.service->synthesize(kProbeText, kProbeUtterance, std::move(cb));
  }

  ServiceFallbackSettings settings_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::optional<Sentence> sentence_;
  uint64_t attemptId_ = 0;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<TtsService> makeFallbackTtsService(boost::asio::io_context& io,
                                                   std::vector<std::unique_ptr<TtsService>> services,
                                                   ServiceFallbackSettings settings) {
  return std::make_unique<FallbackTtsService>(io, std::move(services), std::move(settings));
}

}  // namespace convox::voice

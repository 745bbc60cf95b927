#include "voice/fallback_language_model.hpp"

#include "provider_recovery.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <optional>

namespace convox::voice {

namespace {

// Outside the class: clang cannot default-construct a nested struct with
// member initializers inside an optional<> member's emplace().
struct Request {
  std::vector<ChatMessage> history;
  ReplyCallbacks callbacks;
  size_t current = 0;
  std::vector<bool> tried;
  bool delivered = false;  // text or an action reached the caller: no more switching
  uint64_t attempt = 0;
};
class FallbackLanguageModel final : public LanguageModel {
 public:
  FallbackLanguageModel(boost::asio::io_context& io, std::vector<FallbackModel> models, FallbackSettings settings)
      : io_(io), settings_(std::move(settings)) {
    for (auto& m : models) {
      auto e = std::make_unique<Entry>(io, settings_, m.provider);
      e->provider = std::move(m.provider);
      e->model = std::move(m.model);
      Entry& entry = *e;
      e->recovery.setProbe({[this, &entry] { return request_ && entries_[request_->current].get() == &entry; },
                            [this, &entry] { probe(entry); }});
      entries_.push_back(std::move(e));
    }
  }
  ~FallbackLanguageModel() override {
    *alive_ = false;
    cancel();
    for (auto& e : entries_) stopProbe(*e);
  }

  void reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) override {
    cancel();
    request_.emplace();
    request_->history = history;
    request_->callbacks = std::move(callbacks);
    const auto first = nextEntry(std::nullopt);
    if (!first) {
      auto onDone = std::move(request_->callbacks.onDone);
      request_.reset();
      if (onDone) onDone({}, "no language model is configured");
      return;
    }
    attempt(*first);
  }

  // The first provider serves unless it fails; the others connect then.
  void warm() override {
    if (!entries_.empty()) entries_.front()->model->warm();
  }

  void cancel() override {
    if (!request_) return;
    timer_.cancel();
    entries_[request_->current]->model->cancel();
    request_.reset();
  }

 private:
  struct Entry {
    Entry(boost::asio::io_context& io, const FallbackSettings& s, const std::string& name)
        : recovery(io, s.recoveryDelay, s.recoveryMaxDelay, "language model " + name) {}
    std::string provider;
    std::unique_ptr<LanguageModel> model;
    ProviderRecovery recovery;
  };

  // The first untried available entry after `after` (in list order), else
  // the first untried one at all.
  std::optional<size_t> nextEntry(std::optional<size_t> after) {
    auto untried = [&](size_t i) { return !request_ || request_->tried.empty() || !request_->tried[i]; };
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (after && i <= *after) continue;
      if (entries_[i]->recovery.available() && untried(i)) return i;
    }
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (untried(i)) return i;
    }
    return std::nullopt;
  }

  void attempt(size_t index) {
    auto& r = *request_;
    if (r.tried.empty()) r.tried.assign(entries_.size(), false);
    r.tried[index] = true;
    r.current = index;
    const uint64_t id = ++r.attempt;
    Entry& e = *entries_[index];
    stopProbe(e);  // the probe shares the model: the caller comes first
    std::weak_ptr<bool> alive = alive_;
    auto live = [this, alive, id] {
      const auto a = alive.lock();
      return a && *a && request_ && request_->attempt == id;
    };
    ReplyCallbacks cb;
    cb.onText = [this, live](std::string_view delta) {
      if (!live()) return;
      delivered();
      if (request_->callbacks.onText) request_->callbacks.onText(delta);
    };
    cb.onAction = [this, live](const ModelAction& action) {
      if (!live()) return;
      delivered();
      if (request_->callbacks.onAction) request_->callbacks.onAction(action);
    };
    // The model answers in time, but nothing reached the caller: a failure
    // later in the stream still moves to the next provider.
    cb.onToolCallStarted = [this, live] {
      if (!live()) return;
      timer_.cancel();
      if (request_->callbacks.onToolCallStarted) request_->callbacks.onToolCallStarted();
    };
    cb.onDone = [this, live, index](const ModelUsage& usage, const std::string& error) {
      if (!live()) return;
      timer_.cancel();
      if (!error.empty() && !request_->delivered) {
        // Tokens a failed attempt spent are still billed.
        reportUsage(usage);
        return failed(index, "error", error);
      }
      if (error.empty()) entries_[index]->recovery.succeeded();
      auto onDone = std::move(request_->callbacks.onDone);
      request_.reset();
      if (onDone) onDone(usage, error);
    };
    timer_.expires_after(settings_.firstTokenTimeout);
    timer_.async_wait([this, live, index](const boost::system::error_code& ec) {
      if (ec || !live() || request_->delivered) return;
      entries_[index]->model->cancel();
      failed(index, "timeout", "no first token within " + std::to_string(settings_.firstTokenTimeout.count()) + " ms");
    });
    e.model->reply(r.history, std::move(cb));
  }

  void delivered() {
    if (request_->delivered) return;
    request_->delivered = true;
    timer_.cancel();
  }

  void failed(size_t index, const std::string& kind, const std::string& reason) {
    Entry& e = *entries_[index];
    e.recovery.failed();
    const auto next = nextEntry(index);
    if (!next) {
      if (settings_.onEvent) settings_.onEvent({e.provider, kind, reason, {}});
      auto onDone = std::move(request_->callbacks.onDone);
      request_.reset();
      if (onDone) onDone({}, e.provider + ": " + reason);
      return;
    }
    if (settings_.onEvent) settings_.onEvent({e.provider, "fallback", kind + ": " + reason, entries_[*next]->provider});
    attempt(*next);
  }

  void reportUsage(const ModelUsage& u) { reportModelUsage(settings_.usage, u); }

  void probe(Entry& e) {
    std::weak_ptr<bool> alive = alive_;
    ReplyCallbacks cb;
    cb.onText = [alive, &e](std::string_view) {
      if (alive.expired() || !e.recovery.probing()) return;
      // One token is an answer: stop paying for the rest.
      e.model->cancel();
      e.recovery.probeEnded(true);
    };
    cb.onDone = [this, alive, &e](const ModelUsage& usage, const std::string& error) {
      if (alive.expired() || !e.recovery.probing()) return;
      reportUsage(usage);
      e.recovery.probeEnded(error.empty());
    };
    e.model->reply({{"user", "Reply with the single word OK.", {}}}, std::move(cb));
  }

  void stopProbe(Entry& e) {
    if (e.recovery.abandonProbe()) e.model->cancel();
  }

  boost::asio::io_context& io_;
  FallbackSettings settings_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::optional<Request> request_;
  boost::asio::steady_timer timer_{io_};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<LanguageModel> makeFallbackLanguageModel(boost::asio::io_context& io, std::vector<FallbackModel> models,
                                                         FallbackSettings settings) {
  return std::make_unique<FallbackLanguageModel>(io, std::move(models), std::move(settings));
}

}  // namespace convox::voice

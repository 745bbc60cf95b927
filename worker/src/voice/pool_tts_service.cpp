// TextToSpeech engines behind the asynchronous TtsService shape (see
// voice/pool_services.hpp).

#include "common/logging.hpp"
#include "voice/pool_services.hpp"

#include <optional>
#include <utility>
#include <vector>

namespace convox::voice {

namespace {

class PoolTtsService final : public TtsService {
 public:
  PoolTtsService(ComputePool& pool, TtsEngineLoader loader, PoolServiceSettings settings)
      : pool_(pool), settings_(std::move(settings)) {
    const bool posted = pool_.submit(
        [loader = std::move(loader)] {
          Loaded l;
          l.engine = loader(l.error);
          if (!l.engine && l.error.empty()) l.error = "the engine could not be made";
          return l;
        },
        guardedPoster(),
        [this](Loaded l) {
          if (!l.engine) return unavailable("speech synthesis: " + l.error);
          engine_ = std::move(l.engine);
          startWaiting();
        });
    if (!posted) guardedPoster()([this] { unavailable("speech synthesis: the compute pool is full"); });
  }
  ~PoolTtsService() override {
    *alive_ = false;
    if (busy_ && engine_) engine_->cancel();
  }

  const std::string& provider() const override { return settings_.provider; }

  void synthesize(const std::string& text, uint64_t, TtsCallbacks callbacks) override {
    if (!loadError_.empty()) return fail(std::move(callbacks), loadError_);
    // Not ready, or a cancelled sentence still holds the engine: this one waits.
    if (!engine_ || busy_) {
      waiting_ = Waiting{text, std::move(callbacks)};
      return;
    }
    start(text, std::move(callbacks));
  }

  void cancel() override {
    ++generation_;
    waiting_.reset();
    if (busy_ && engine_) engine_->cancel();
  }

 private:
  struct Loaded {
    std::shared_ptr<TextToSpeech> engine;
    std::string error;
  };
  struct Waiting {
    std::string text;
    TtsCallbacks callbacks;
  };

  ComputePool::Poster guardedPoster() { return voice::guardedPoster(settings_.post, alive_); }

  void fail(TtsCallbacks callbacks, std::string error) {
    if (!callbacks.onDone) return;
    guardedPoster()([onDone = std::move(callbacks.onDone), error = std::move(error)] { onDone({}, error); });
  }

  void unavailable(const std::string& error) {
    loadError_ = error;
    common::logger("worker")->error("voice agent: {}", error);
    if (waiting_) fail(std::move(waiting_->callbacks), error);
    waiting_.reset();
    if (settings_.onUnavailable) settings_.onUnavailable(error);
  }

  void startWaiting() {
    if (!waiting_) return;
    auto w = std::move(*waiting_);
    waiting_.reset();
    start(std::move(w.text), std::move(w.callbacks));
  }

  void start(std::string text, TtsCallbacks callbacks) {
    busy_ = true;
    const uint64_t generation = generation_;
    auto shared = std::make_shared<TtsCallbacks>(std::move(callbacks));
    auto post = guardedPoster();
    const size_t characters = text.size();
    const bool posted = pool_.submit(
        [engine = engine_, text = std::move(text), post, shared, generation, this]() {
          // Chunks go to the call's thread as the engine makes them.
          return engine->synthesize(text, [&](std::span<const int16_t> pcm) {
            post([pcm = std::vector<int16_t>(pcm.begin(), pcm.end()), shared, generation, this] {
              if (generation == generation_ && shared->onAudio) shared->onAudio(pcm);
            });
          });
        },
        post,
        [this, shared, generation, characters](TtsStats stats) {
          busy_ = false;
          if (settings_.usage) {
            settings_.usage(
                {"tts", settings_.provider, settings_.model, "characters", static_cast<double>(characters)});
          }
          if (generation == generation_ && shared->onDone) shared->onDone(std::move(stats), {});
          startWaiting();
        });
    if (!posted) {
      busy_ = false;
      common::logger("worker")->warn("voice agent: compute pool full, a sentence was not spoken");
      fail(std::move(*shared), "the compute pool is full");
    }
  }

  // Passed by argument.
  ComputePool& pool_;
  PoolServiceSettings settings_;
  // Others.
  std::shared_ptr<TextToSpeech> engine_;  // shared with its pool task
  std::optional<Waiting> waiting_;        // a sentence given before the engine was ready
  std::string loadError_;
  uint64_t generation_ = 0;
  bool busy_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<TtsService> makePoolTtsService(ComputePool& pool, TtsEngineLoader loader,
                                               PoolServiceSettings settings) {
  return std::make_unique<PoolTtsService>(pool, std::move(loader), std::move(settings));
}

}  // namespace convox::voice

// SpeechToText engines behind the asynchronous SttService shape (see
// voice/pool_services.hpp).

#include "common/logging.hpp"
#include "voice/pool_services.hpp"

#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace convox::voice {

namespace {

constexpr size_t kChunkSamples = kSttSampleRate / 5;             // hand audio over every 200 ms
constexpr size_t kMaxOpenSamples = size_t{kSttSampleRate} * 15;  // the engines' utterance cap

class PoolSttService final : public SttService {
 public:
  PoolSttService(ComputePool& pool, SttEngineLoader loader, PoolServiceSettings settings)
      : pool_(pool), settings_(std::move(settings)) {
    open_.reserve(kChunkSamples * 2);
    const bool posted = pool_.submit(
        [loader = std::move(loader)] {
          Loaded l;
          l.engine = loader(l.error);
          if (!l.engine && l.error.empty()) l.error = "the engine could not be made";
          return l;
        },
        guardedPoster(),
        [this](Loaded l) {
          if (l.engine) {
            engine_ = std::move(l.engine);
            pump();
          } else {
            unavailable("speech recognition: " + l.error);
          }
        });
    if (!posted) guardedPoster()([this] { unavailable("speech recognition: the compute pool is full"); });
  }
  ~PoolSttService() override { *alive_ = false; }

  const std::string& provider() const override { return settings_.provider; }

  void push(std::span<const int16_t> pcm) override {
    if (!loadError_.empty()) return;
    const size_t room = kMaxOpenSamples - std::min(kMaxOpenSamples, openTotal_);
    const size_t n = std::min(room, pcm.size());
    open_.insert(open_.end(), pcm.begin(), pcm.begin() + static_cast<long>(n));
    openTotal_ += n;
    if (open_.size() >= kChunkSamples) {
      queue_.push_back({std::exchange(open_, {}), false, {}});
      open_.reserve(kChunkSamples * 2);
      pump();
    }
  }

  void finish(SttCallbacks callbacks) override {
    openTotal_ = 0;
    if (!loadError_.empty()) {
      open_.clear();
      return fail(std::move(callbacks), loadError_);
    }
    queue_.push_back({std::exchange(open_, {}), true, std::move(callbacks)});
    open_.reserve(kChunkSamples * 2);
    pump();
  }

  void cancel() override {
    ++generation_;
    queue_.clear();
    open_.clear();
    openTotal_ = 0;
    // The engine may hold part of the utterance: the next task drops it first.
    resetEngine_ = true;
  }

 private:
  struct Loaded {
    std::shared_ptr<SpeechToText> engine;
    std::string error;
  };
  struct Work {
    std::vector<int16_t> audio;
    bool final = false;
    SttCallbacks callbacks;
  };

  ComputePool::Poster guardedPoster() { return voice::guardedPoster(settings_.post, alive_); }

  void fail(SttCallbacks callbacks, std::string error) {
    if (!callbacks.onFinal) return;
    guardedPoster()([onFinal = std::move(callbacks.onFinal), error = std::move(error)] { onFinal({}, error); });
  }

  void unavailable(const std::string& error) {
    loadError_ = error;
    common::logger("worker")->error("voice agent: {}", error);
    for (auto& w : queue_) {
      if (w.final) fail(std::move(w.callbacks), error);
    }
    queue_.clear();
    if (settings_.onUnavailable) settings_.onUnavailable(error);
  }

  void pump() {
    if (busy_ || !engine_ || queue_.empty()) return;
    Work work = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    const uint64_t generation = generation_;
    const bool reset = std::exchange(resetEngine_, false);
    const bool final = work.final;
    auto callbacks = std::make_shared<SttCallbacks>(std::move(work.callbacks));
    const bool posted = pool_.submit(
        [engine = engine_, audio = std::move(work.audio), final, reset]() -> std::optional<SttResult> {
          if (reset) engine->cancel();
          if (!audio.empty()) engine->push(audio);
          if (!final) return std::nullopt;
          return engine->finish();
        },
        guardedPoster(),
        [this, generation, callbacks](std::optional<SttResult> result) {
          busy_ = false;
          if (result && generation == generation_) {
            if (settings_.usage) {
              settings_.usage({"stt", settings_.provider, settings_.model, "audio_seconds",
                               static_cast<double>(result->audioMs) / 1000.0});
            }
            if (callbacks->onFinal) callbacks->onFinal(std::move(*result), {});
          }
          pump();
        });
    if (!posted) {
      busy_ = false;
      // This utterance is lost; the engine must not carry it into the next.
      resetEngine_ = true;
      common::logger("worker")->warn("voice agent: compute pool full, an utterance was dropped");
      if (final) {
        fail(std::move(*callbacks), "the compute pool is full");
      }
      // Later chunks of the same utterance would be recognised without its
      // start: drop them up to its end.
      while (!queue_.empty() && !final) {
        const bool ends = queue_.front().final;
        if (ends) fail(std::move(queue_.front().callbacks), "the compute pool is full");
        queue_.pop_front();
        if (ends) break;
      }
    }
  }

  // Passed by argument.
  ComputePool& pool_;
  PoolServiceSettings settings_;
  // Others.
  std::shared_ptr<SpeechToText> engine_;  // shared with its pool task
  std::vector<int16_t> open_;             // the open utterance's audio not yet queued
  size_t openTotal_ = 0;                  // samples of the open utterance taken, for the cap
  std::deque<Work> queue_;
  std::string loadError_;
  uint64_t generation_ = 0;
  bool busy_ = false;
  bool resetEngine_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

ComputePool::Poster guardedPoster(ComputePool::Poster post, std::weak_ptr<bool> alive) {
  return [post = std::move(post), alive = std::move(alive)](ComputePool::Task task) {
    post([alive, task = std::move(task)] {
      if (const auto live = alive.lock(); live && *live) task();
    });
  };
}

std::unique_ptr<SttService> makePoolSttService(ComputePool& pool, SttEngineLoader loader,
                                               PoolServiceSettings settings) {
  return std::make_unique<PoolSttService>(pool, std::move(loader), std::move(settings));
}

}  // namespace convox::voice

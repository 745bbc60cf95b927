// The GLib driver: libnice's agents dispatch on this main context, so every
// loop that runs libnice (clients, tools, rtc.ice_transport: libnice) uses it.
#include "event_loop_driver.hpp"

#include <glib-unix.h>
#include <glib.h>

#include <atomic>
#include <map>

namespace convox::rtc::detail {

namespace {

struct Callback {
  std::function<void()> fn;
  std::weak_ptr<EventLoop::State> state;
};

gboolean runOnceAndRemove(gpointer data) {
  auto* cb = static_cast<Callback*>(data);
  runGuarded(cb->fn, cb->state);
  return G_SOURCE_REMOVE;
}

void deleteCallback(gpointer data) { delete static_cast<Callback*>(data); }

class GlibDriver final : public LoopDriver {
 public:
  explicit GlibDriver(std::weak_ptr<EventLoop::State> state)
      : context_(g_main_context_new()), state_(std::move(state)), sources_(std::make_shared<Sources>()) {}

  ~GlibDriver() override {
    for (auto& [id, source] : sources_->watches) release(source);
    for (auto& [id, source] : sources_->writable) release(source);
    sources_->writable.clear();
    for (auto& [id, source] : sources_->timers) release(source);
    sources_->watches.clear();
    sources_->timers.clear();
    // Drain what is queued so posted tasks' captures are released.
    while (g_main_context_iteration(context_, FALSE)) {
    }
    g_main_context_unref(context_);
  }

  void post(std::function<void()> task) override {
    GSource* source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, runOnceAndRemove, new Callback{std::move(task), state_}, deleteCallback);
    g_source_attach(source, context_);
    g_source_unref(source);
  }

  uint32_t addTimer(std::chrono::milliseconds delay, std::function<void()> task) override {
    GSource* source = g_timeout_source_new(static_cast<guint>(std::max<int64_t>(0, delay.count())));
    const uint32_t id = takeId();
    std::weak_ptr<Sources> sources = sources_;
    auto fired = [sources, id, fn = std::move(task)] {
      if (auto s = sources.lock()) {
        if (auto it = s->timers.find(id); it != s->timers.end()) {
          g_source_unref(it->second);
          s->timers.erase(it);
        }
      }
      fn();
    };
    g_source_set_callback(source, runOnceAndRemove, new Callback{std::move(fired), state_}, deleteCallback);
    g_source_attach(source, context_);
    sources_->timers.emplace(id, source);
    return id;
  }

  void cancelTimer(uint32_t id) override {
    auto it = sources_->timers.find(id);
    if (it == sources_->timers.end()) return;
    release(it->second);
    sources_->timers.erase(it);
  }

  uint32_t watchReadable(int fd, std::function<void()> onReadable) override {
    GSource* source = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(
        source,
        // GLib's own G_SOURCE_FUNC cast: an fd source calls back with (fd, condition, data).
        reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(+[](gint, GIOCondition, gpointer data) -> gboolean {
          auto* cb = static_cast<Callback*>(data);
          runGuarded(cb->fn, cb->state);
          return G_SOURCE_CONTINUE;
        })),
        new Callback{std::move(onReadable), state_}, deleteCallback);
    g_source_attach(source, context_);
    const uint32_t id = takeId();
    sources_->watches.emplace(id, source);
    sources_->fds.emplace(id, fd);
    return id;
  }

  void awaitWritable(uint32_t id, std::function<void()> onWritable) override {
    const auto fd = sources_->fds.find(id);
    if (fd == sources_->fds.end() || sources_->writable.contains(id)) return;
    GSource* source = g_unix_fd_source_new(fd->second, G_IO_OUT);
    std::weak_ptr<Sources> sources = sources_;
    auto fired = [sources, id, fn = std::move(onWritable)] {
      if (auto s = sources.lock()) {
        if (auto it = s->writable.find(id); it != s->writable.end()) {
          g_source_unref(it->second);
          s->writable.erase(it);
        }
      }
      fn();
    };
    g_source_set_callback(
        source,
        reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(+[](gint, GIOCondition, gpointer data) -> gboolean {
          auto* cb = static_cast<Callback*>(data);
          runGuarded(cb->fn, cb->state);
          return G_SOURCE_REMOVE;
        })),
        new Callback{std::move(fired), state_}, deleteCallback);
    g_source_attach(source, context_);
    sources_->writable.emplace(id, source);
  }

  void unwatch(uint32_t id) override {
    auto it = sources_->watches.find(id);
    if (it == sources_->watches.end()) return;
    release(it->second);
    sources_->watches.erase(it);
    sources_->fds.erase(id);
    if (auto w = sources_->writable.find(id); w != sources_->writable.end()) {
      release(w->second);
      sources_->writable.erase(w);
    }
  }

  void run() override {
    g_main_context_push_thread_default(context_);
    stopping_ = false;
    while (!stopping_) g_main_context_iteration(context_, TRUE);
    g_main_context_pop_thread_default(context_);
  }

  void stop() override {
    // Posted, so a stop() that comes before run() still ends it.
    post([this] { stopping_ = true; });
  }

  void runOnce(std::chrono::milliseconds wait) override {
    g_main_context_push_thread_default(context_);
    GSource* tick = g_timeout_source_new(static_cast<guint>(std::max<int64_t>(0, wait.count())));
    g_source_set_callback(
        tick, [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
    g_source_attach(tick, context_);
    g_main_context_iteration(context_, TRUE);
    release(tick);
    g_main_context_pop_thread_default(context_);
  }

  GMainContext* glibContext() const override { return context_; }

 private:
  struct Sources {
    std::map<uint32_t, GSource*> timers;    // loop thread only
    std::map<uint32_t, GSource*> watches;   // loop thread only
    std::map<uint32_t, int> fds;            // each watch's descriptor
    std::map<uint32_t, GSource*> writable;  // awaitWritable's one-shot sources, by watch
  };

  uint32_t takeId() {
    if (nextId_ == 0) ++nextId_;  // 0 means "no timer" to callers
    return nextId_++;
  }

  static void release(GSource* source) {
    g_source_destroy(source);
    g_source_unref(source);
  }

  GMainContext* context_;
  std::weak_ptr<EventLoop::State> state_;
  std::shared_ptr<Sources> sources_;
  std::atomic<bool> stopping_{false};
  uint32_t nextId_ = 1;
};

}  // namespace

std::unique_ptr<LoopDriver> makeGlibDriver(std::weak_ptr<EventLoop::State> state) {
  return std::make_unique<GlibDriver>(std::move(state));
}

}  // namespace convox::rtc::detail

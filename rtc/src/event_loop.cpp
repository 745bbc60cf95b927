#include "rtc/event_loop.hpp"

#include <glib-unix.h>
#include <glib.h>

#include <atomic>
#include <cstdio>
#include <map>

namespace convox::rtc {

struct EventLoop::State {
  std::atomic<bool> stopping{false};
  std::map<uint32_t, GSource*> timers;   // loop thread only
  std::map<uint32_t, GSource*> watches;  // loop thread only
  std::function<void(std::string_view)> onException;
};

namespace {

struct PostedTask {
  std::function<void()> fn;
  std::weak_ptr<EventLoop::State> state;
};

void reportException(const PostedTask& task, std::string_view what) noexcept {
  try {
    if (auto state = task.state.lock(); state && state->onException) return state->onException(what);
  } catch (...) {
  }
  std::fprintf(stderr, "convox: a task on an event loop threw: %.*s\n", static_cast<int>(what.size()), what.data());
}

gboolean runPosted(gpointer data) {
  auto* task = static_cast<PostedTask*>(data);
  try {
    task->fn();
  } catch (const std::exception& e) {
    reportException(*task, e.what());
  } catch (...) {
    reportException(*task, "a non-exception");
  }
  return G_SOURCE_REMOVE;
}

void deletePosted(gpointer data) { delete static_cast<PostedTask*>(data); }

}  // namespace

EventLoop::EventLoop()
    : context_(g_main_context_new()), owner_(std::this_thread::get_id()), state_(std::make_shared<State>()) {}

EventLoop::~EventLoop() {
  for (auto& [id, source] : state_->watches) {
    g_source_destroy(source);
    g_source_unref(source);
  }
  for (auto& [id, source] : state_->timers) {
    g_source_destroy(source);
    g_source_unref(source);
  }
  // Drain what is queued so posted tasks' captures are released.
  while (g_main_context_iteration(context_, FALSE)) {
  }
  g_main_context_unref(context_);
}

void EventLoop::post(std::function<void()> task) {
  // Always queued, never run inline: callers post precisely to get out of
  // the current call stack (e.g. a usrsctp callback).
  GSource* source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, runPosted, new PostedTask{std::move(task), state_}, deletePosted);
  g_source_attach(source, context_);
  g_source_unref(source);
}

uint32_t EventLoop::addTimer(std::chrono::milliseconds delay, std::function<void()> task) {
  GSource* source = g_timeout_source_new(static_cast<guint>(std::max<int64_t>(0, delay.count())));
  auto* posted = new PostedTask{};
  posted->state = state_;
  std::weak_ptr<State> weak = state_;
  static std::atomic<uint32_t> nextId{1};
  const uint32_t id = nextId++;
  posted->fn = [weak, id, fn = std::move(task)] {
    if (auto state = weak.lock()) {
      auto it = state->timers.find(id);
      if (it != state->timers.end()) {
        g_source_unref(it->second);
        state->timers.erase(it);
      }
    }
    fn();
  };
  g_source_set_callback(source, runPosted, posted, deletePosted);
  g_source_attach(source, context_);
  state_->timers.emplace(id, source);
  return id;
}

uint32_t EventLoop::watchReadable(int fd, std::function<void()> onReadable) {
  GSource* source = g_unix_fd_source_new(fd, G_IO_IN);
  struct Watch {
    std::function<void()> fn;
    std::weak_ptr<State> state;
  };
  auto* watch = new Watch{std::move(onReadable), state_};
  g_source_set_callback(
      source,
      // GLib's own G_SOURCE_FUNC cast: an fd source calls back with (fd, condition, data).
      reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(+[](gint, GIOCondition, gpointer data) -> gboolean {
        auto* w = static_cast<Watch*>(data);
        PostedTask report{{}, w->state};
        try {
          w->fn();
        } catch (const std::exception& e) {
          reportException(report, e.what());
        } catch (...) {
          reportException(report, "a non-exception");
        }
        return G_SOURCE_CONTINUE;
      })),
      watch, [](gpointer data) { delete static_cast<Watch*>(data); });
  g_source_attach(source, context_);
  static std::atomic<uint32_t> nextId{1};
  const uint32_t id = nextId++;
  state_->watches.emplace(id, source);
  return id;
}

void EventLoop::unwatch(uint32_t id) {
  auto it = state_->watches.find(id);
  if (it == state_->watches.end()) return;
  g_source_destroy(it->second);
  g_source_unref(it->second);
  state_->watches.erase(it);
}

void EventLoop::setExceptionHandler(std::function<void(std::string_view what)> handler) {
  state_->onException = std::move(handler);
}

void EventLoop::cancelTimer(uint32_t id) {
  auto it = state_->timers.find(id);
  if (it == state_->timers.end()) return;
  g_source_destroy(it->second);
  g_source_unref(it->second);
  state_->timers.erase(it);
}

void EventLoop::run() {
  claimThread();
  g_main_context_push_thread_default(context_);
  state_->stopping = false;
  while (!state_->stopping) g_main_context_iteration(context_, TRUE);
  g_main_context_pop_thread_default(context_);
}

void EventLoop::stop() {
  auto state = state_;
  post([state] { state->stopping = true; });
}

void EventLoop::runFor(std::chrono::milliseconds duration) {
  runUntil([] { return false; }, duration);
}

bool EventLoop::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  claimThread();
  g_main_context_push_thread_default(context_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = done();
  while (!ok && std::chrono::steady_clock::now() < deadline) {
    // Wake at least every 10 ms to re-check the deadline.
    GSource* tick = g_timeout_source_new(10);
    g_source_set_callback(
        tick, [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
    g_source_attach(tick, context_);
    g_main_context_iteration(context_, TRUE);
    g_source_destroy(tick);
    g_source_unref(tick);
    ok = done();
  }
  g_main_context_pop_thread_default(context_);
  return ok;
}

}  // namespace convox::rtc

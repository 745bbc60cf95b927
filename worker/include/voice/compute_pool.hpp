#pragma once

// The bounded pool of threads for CPU-heavy provider work (recognition,
// synthesis). A media thread never waits on it: post() refuses a task when
// the queue is full and the caller degrades (skips, apologises) instead of
// blocking. Results go back through a caller-given poster, e.g. onto the
// job's rtc::EventLoop, so each job's state stays on its own thread.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace convox::voice {

class ComputePool {
 public:
  using Task = std::function<void()>;
  // Delivers a closure to the thread that owns the result (an event loop's post).
  using Poster = std::function<void(Task)>;

  ComputePool(size_t threads, size_t capacity);
  // Stops taking tasks, drops the queued ones, waits for the running ones.
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  // False when the queue holds `capacity` tasks or the pool is stopping.
  bool post(Task task);

  // Runs `work` on the pool, then hands its result to `onResult` through
  // `poster`. False (and nothing runs) when post() would refuse.
  template <class Work, class OnResult>
  bool submit(Work work, Poster poster, OnResult onResult) {
    return post([work = std::move(work), poster = std::move(poster), onResult = std::move(onResult)]() mutable {
      auto result = work();
      poster([onResult = std::move(onResult), result = std::move(result)]() mutable { onResult(std::move(result)); });
    });
  }

  size_t queued() const;
  size_t capacity() const { return capacity_; }
  size_t threads() const { return threads_.size(); }
  uint64_t rejected() const { return rejected_.load(); }
  uint64_t completed() const { return completed_.load(); }
  uint64_t failed() const { return failed_.load(); }  // tasks that threw

 private:
  void run();

  // Allocated by this.
  std::vector<std::thread> threads_;
  // Others.
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace convox::voice

#include "voice/compute_pool.hpp"

namespace convox::voice {

ComputePool::ComputePool(size_t threads, size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  const size_t n = threads == 0 ? 1 : threads;
  threads_.reserve(n);
  for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
}

ComputePool::~ComputePool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ComputePool::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) {
      rejected_.fetch_add(1);
      return false;
    }
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

size_t ComputePool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void ComputePool::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    // A provider that throws fails its own job, never the pool or the worker.
    try {
      task();
      completed_.fetch_add(1);
    } catch (...) {
      failed_.fetch_add(1);
    }
  }
}

}  // namespace convox::voice

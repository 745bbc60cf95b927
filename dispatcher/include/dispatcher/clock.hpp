#pragma once

// Time as the dispatcher sees it. Deadlines (availability, queueing) use the
// monotonic `now()`; job timestamps that go on the wire use unix time. Tests
// inject a manual clock so that timeouts need no sleeps.

#include <chrono>
#include <cstdint>

namespace convox::dispatcher {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual int64_t unixNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  int64_t unixNanos() const override {
    using namespace std::chrono;
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace convox::dispatcher

#pragma once

#include "dispatcher/clock.hpp"

namespace convox::testing {

// A clock that moves only when the test says so.
class ManualClock final : public dispatcher::Clock {
 public:
  TimePoint now() const override { return now_; }
  int64_t unixNanos() const override { return unixBase_ + (now_ - TimePoint{}).count(); }

  void advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  TimePoint now_{std::chrono::hours(1)};
  int64_t unixBase_ = 1'700'000'000'000'000'000;
};

}  // namespace convox::testing

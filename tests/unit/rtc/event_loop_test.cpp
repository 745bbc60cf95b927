// A task or timer that throws on an EventLoop is reported and the loop goes
// on: the exception must not unwind through GLib's C frames, and the other
// transports on a media thread must keep running.
#include "rtc/event_loop.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using convox::rtc::EventLoop;

TEST(EventLoop, ThrowingTasksAndTimersAreReportedAndTheLoopGoesOn) {
  EventLoop loop;
  std::vector<std::string> reported;
  loop.setExceptionHandler([&](std::string_view what) { reported.emplace_back(what); });
  int ranAfter = 0;
  loop.post([] { throw std::runtime_error("posted task failed"); });
  loop.post([&] { ++ranAfter; });
  loop.addTimer(std::chrono::milliseconds(1), [] { throw std::logic_error("timer failed"); });
  loop.addTimer(std::chrono::milliseconds(2), [&] { ++ranAfter; });
  loop.post([] { throw 7; });
  EXPECT_TRUE(loop.runUntil([&] { return ranAfter == 2 && reported.size() == 3; }, std::chrono::seconds(5)));
  // Timers and idle tasks share a priority: the order they ran in may vary.
  std::sort(reported.begin(), reported.end());
  EXPECT_EQ(reported, (std::vector<std::string>{"a non-exception", "posted task failed", "timer failed"}));
}

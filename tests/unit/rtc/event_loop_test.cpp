// Both event-loop drivers keep one contract: a task or timer that throws is
// reported and the loop goes on (the exception must not unwind through the
// driver's frames, and the other transports on a media thread must keep
// running); timers fire once unless cancelled; a readable descriptor calls
// back until unwatched, also from its own callback; stop() before run()
// still ends it; tasks queued at destruction are run, releasing captures;
// a watched stream that cannot be written calls back once when it can.
#include "rtc/event_loop.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using convox::rtc::EventLoop;
using convox::rtc::EventLoopDriver;
using namespace std::chrono_literals;

class EventLoopTest : public ::testing::TestWithParam<EventLoopDriver> {};

TEST_P(EventLoopTest, ThrowingTasksAndTimersAreReportedAndTheLoopGoesOn) {
  EventLoop loop(GetParam());
  std::vector<std::string> reported;
  loop.setExceptionHandler([&](std::string_view what) { reported.emplace_back(what); });
  int ranAfter = 0;
  loop.post([] { throw std::runtime_error("posted task failed"); });
  loop.post([&] { ++ranAfter; });
  loop.addTimer(1ms, [] { throw std::logic_error("timer failed"); });
  loop.addTimer(2ms, [&] { ++ranAfter; });
  loop.post([] { throw 7; });
  EXPECT_TRUE(loop.runUntil([&] { return ranAfter == 2 && reported.size() == 3; }, 5s));
  // Timers and idle tasks share a priority: the order they ran in may vary.
  std::sort(reported.begin(), reported.end());
  EXPECT_EQ(reported, (std::vector<std::string>{"a non-exception", "posted task failed", "timer failed"}));
}

TEST_P(EventLoopTest, TimersFireOnceInDueOrderUnlessCancelled) {
  EventLoop loop(GetParam());
  std::vector<int> fired;
  const uint32_t late = loop.addTimer(30ms, [&] { fired.push_back(3); });
  const uint32_t cancelled = loop.addTimer(10ms, [&] { fired.push_back(99); });
  loop.addTimer(20ms, [&] { fired.push_back(2); });
  loop.addTimer(0ms, [&] { fired.push_back(1); });
  EXPECT_NE(late, 0U);
  EXPECT_NE(late, cancelled);
  loop.cancelTimer(cancelled);
  loop.cancelTimer(cancelled);  // twice: harmless
  loop.cancelTimer(12345);      // unknown: harmless
  EXPECT_TRUE(loop.runUntil([&] { return fired.size() == 3; }, 5s));
  loop.runFor(50ms);
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
  loop.cancelTimer(late);  // already fired: harmless
}

TEST_P(EventLoopTest, AReadableDescriptorCallsBackUntilUnwatchedEvenFromItsOwnCallback) {
  EventLoop loop(GetParam());
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds), 0);
  int reads = 0;
  uint32_t watch = 0;
  watch = loop.watchReadable(fds[0], [&] {
    char buf[16];
    while (::recv(fds[0], buf, sizeof buf, 0) > 0) ++reads;
    if (reads >= 3) loop.unwatch(watch);
  });
  ASSERT_EQ(::send(fds[1], "a", 1, 0), 1);
  EXPECT_TRUE(loop.runUntil([&] { return reads == 1; }, 5s));
  // A datagram that lands after the callback's last read still wakes it.
  ASSERT_EQ(::send(fds[1], "b", 1, 0), 1);
  EXPECT_TRUE(loop.runUntil([&] { return reads == 2; }, 5s));
  ASSERT_EQ(::send(fds[1], "c", 1, 0), 1);
  EXPECT_TRUE(loop.runUntil([&] { return reads == 3; }, 5s));
  ASSERT_EQ(::send(fds[1], "d", 1, 0), 1);
  loop.runFor(50ms);
  EXPECT_EQ(reads, 3);  // unwatched inside its third call
  // The descriptor stays the caller's: unwatching did not close it.
  char buf[4];
  EXPECT_EQ(::recv(fds[0], buf, sizeof buf, 0), 1);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_P(EventLoopTest, AwaitWritableCallsBackOnceWhenTheSendBufferDrains) {
  EventLoop loop(GetParam());
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  const std::vector<char> chunk(4096, 'x');
  while (::send(fds[0], chunk.data(), chunk.size(), 0) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);  // full
  const uint32_t watch = loop.watchReadable(fds[0], [] {});
  int writable = 0;
  loop.awaitWritable(watch, [&] { ++writable; });
  loop.runFor(50ms);
  EXPECT_EQ(writable, 0);  // still full
  std::vector<char> sink(1 << 20);
  while (::recv(fds[1], sink.data(), sink.size(), 0) > 0) {
  }
  EXPECT_TRUE(loop.runUntil([&] { return writable == 1; }, 5s));
  loop.runFor(50ms);
  EXPECT_EQ(writable, 1);  // once
  // Unwatching cancels a wait that has not fired.
  while (::send(fds[0], chunk.data(), chunk.size(), 0) > 0) {
  }
  loop.awaitWritable(watch, [&] { ++writable; });
  loop.unwatch(watch);
  while (::recv(fds[1], sink.data(), sink.size(), 0) > 0) {
  }
  loop.runFor(50ms);
  EXPECT_EQ(writable, 1);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_P(EventLoopTest, StopFromAnotherThreadEvenBeforeRunEndsIt) {
  EventLoop loop(GetParam());
  loop.stop();
  loop.run();  // returns: the stop was queued
  std::atomic<int> ran{0};
  std::thread runner([&] { loop.run(); });
  loop.post([&] { ++ran; });
  loop.post([&] { loop.stop(); });
  runner.join();
  EXPECT_EQ(ran.load(), 1);
}

TEST_P(EventLoopTest, TasksQueuedAtDestructionRunAndReleaseTheirCaptures) {
  auto capture = std::make_shared<int>(7);
  std::weak_ptr<int> watch = capture;
  int ran = 0;
  {
    EventLoop loop(GetParam());
    loop.post([c = std::move(capture), &ran] { ran += *c; });
    loop.addTimer(1h, [] {});
  }
  EXPECT_EQ(ran, 7);
  EXPECT_TRUE(watch.expired());
}

INSTANTIATE_TEST_SUITE_P(Drivers, EventLoopTest, ::testing::Values(EventLoopDriver::Glib, EventLoopDriver::Asio),
                         [](const auto& info) { return info.param == EventLoopDriver::Glib ? "Glib" : "Asio"; });

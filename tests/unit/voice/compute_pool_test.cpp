#include "voice/compute_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <string>

namespace convox::voice {
namespace {

using namespace std::chrono_literals;

// Stands in for the worker's event loop: closures posted from pool threads
// run later on the test's thread.
struct FakeLoop {
  std::mutex mutex;
  std::vector<ComputePool::Task> posted;
  ComputePool::Poster poster() {
    return [this](ComputePool::Task t) {
      std::lock_guard lock(mutex);
      posted.push_back(std::move(t));
    };
  }
  size_t runAll() {
    std::vector<ComputePool::Task> tasks;
    {
      std::lock_guard lock(mutex);
      tasks.swap(posted);
    }
    for (auto& t : tasks) t();
    return tasks.size();
  }
};

bool waitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(ComputePool, ResultsComeBackThroughThePoster) {
  ComputePool pool(2, 8);
  FakeLoop loop;
  const auto testThread = std::this_thread::get_id();
  std::set<std::thread::id> workThreads;
  std::mutex m;
  std::vector<int> results;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(pool.submit(
        [i, &m, &workThreads] {
          std::lock_guard lock(m);
          workThreads.insert(std::this_thread::get_id());
          return i * i;
        },
        loop.poster(),
        [&results, testThread](int r) {
          EXPECT_EQ(std::this_thread::get_id(), testThread);  // delivered on the owner's thread
          results.push_back(r);
        }));
  }
  ASSERT_TRUE(waitFor([&] { return pool.completed() == 6; }));
  EXPECT_EQ(loop.runAll(), 6u);
  std::sort(results.begin(), results.end());
  EXPECT_EQ(results, (std::vector<int>{0, 1, 4, 9, 16, 25}));
  EXPECT_EQ(workThreads.count(testThread), 0u);
}

TEST(ComputePool, RefusesWhenFullInsteadOfBlocking) {
  ComputePool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0};
  ASSERT_TRUE(pool.post([&, gate] {
    started = 1;
    gate.wait();
  }));
  ASSERT_TRUE(waitFor([&] { return started == 1; }));  // the only thread is busy
  EXPECT_TRUE(pool.post([] {}));
  EXPECT_TRUE(pool.post([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(pool.post([] {}));  // full: refused at once
  EXPECT_LT(std::chrono::steady_clock::now() - before, 50ms);
  EXPECT_EQ(pool.rejected(), 1u);
  release.set_value();
  ASSERT_TRUE(waitFor([&] { return pool.completed() == 3; }));
  EXPECT_TRUE(pool.post([] {}));  // room again
}

TEST(ComputePool, ATaskThatThrowsDoesNotStopThePool) {
  ComputePool pool(1, 4);
  ASSERT_TRUE(pool.post([] { throw std::runtime_error("provider failed"); }));
  std::atomic<bool> ran{false};
  ASSERT_TRUE(pool.post([&] { ran = true; }));
  ASSERT_TRUE(waitFor([&] { return ran.load(); }));
  EXPECT_EQ(pool.failed(), 1u);
}

TEST(ComputePool, DestructionDropsQueuedTasksAndJoins) {
  std::atomic<int> ran{0};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<bool> started{false};
  std::thread releaser;
  {
    ComputePool pool(1, 4);
    ASSERT_TRUE(pool.post([&, gate] {
      started = true;
      gate.wait();
      ++ran;
    }));
    ASSERT_TRUE(waitFor([&] { return started.load(); }));
    ASSERT_TRUE(pool.post([&] { ++ran; }));
    releaser = std::thread([&] {
      std::this_thread::sleep_for(20ms);
      release.set_value();
    });
  }  // waits for the running task, drops the queued one
  releaser.join();
  EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace convox::voice

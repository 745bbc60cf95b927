#pragma once

// Runs the built-in convox-worker as a child of convox-server --dev:
// started once the server listens, restarted with back-off when it exits,
// stopped with the server (SIGTERM, then SIGKILL), and told to die with its
// parent if the server itself is killed (PR_SET_PDEATHSIG). Written here
// with fork/exec: Boost.Process would bring Boost.Filesystem, which nothing
// else needs, and the job is these few calls.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace convox::app {

class WorkerSupervisor {
 public:
  WorkerSupervisor(boost::asio::io_context& io, std::string binary, std::vector<std::string> args,
                   std::vector<std::pair<std::string, std::string>> env);
  ~WorkerSupervisor();

  void start();
  // SIGTERM now; waitForExit() then reaps it (SIGKILL after `grace`).
  void stop();
  void waitForExit(std::chrono::milliseconds grace);
  int restarts() const { return restarts_; }

 private:
  void spawn();
  void poll();

  boost::asio::io_context& io_;
  const std::string binary_;
  const std::vector<std::string> args_;
  const std::vector<std::pair<std::string, std::string>> env_;
  boost::asio::steady_timer timer_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point startedAt_;
  std::chrono::milliseconds backoff_{1000};
  int restarts_ = 0;
  bool stopping_ = false;
};

// convox-worker beside this executable, or empty if there is none.
std::string builtinWorkerPath();

}  // namespace convox::app

#pragma once

// convox-worker: registers on /agent under one agent name and serves every
// Convox agent. Jobs run on a pool of media threads, each owning its calls'
// rooms, transports and audio; the agent protocol and the job bookkeeping
// run on the main thread's io_context, and the two only post to each other.

#include "worker/worker_options.hpp"

#include <memory>

namespace convox::worker {

class AgentWorker {
 public:
  explicit AgentWorker(WorkerOptions options);
  ~AgentWorker();
  AgentWorker(const AgentWorker&) = delete;
  AgentWorker& operator=(const AgentWorker&) = delete;

  // Runs until SIGINT/SIGTERM (then drains: no new jobs, calls finish up to
  // the drain timeout) or a fatal start error. Returns the exit code.
  int run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convox::worker

#include "worker/agent_worker.hpp"

#include "call_session.hpp"
#include "client/agent_worker_client.hpp"
#include "common/http_server.hpp"
#include "common/logging.hpp"
#include "common/metrics.hpp"
#include "job_metadata.hpp"
#include "media_thread.hpp"
#include "voice/compute_pool.hpp"
#include "worker_metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <vector>

namespace convox::worker {

namespace {

// ws(s)://host -> http(s)://host: the control API is served beside /rtc.
std::string httpBase(const std::string& url) {
  if (url.rfind("ws://", 0) == 0) return "http://" + url.substr(5);
  if (url.rfind("wss://", 0) == 0) return "https://" + url.substr(6);
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

}  // namespace

class AgentWorker::Impl final : public client::AgentWorkerListener {
 public:
  explicit Impl(WorkerOptions options)
      : options_(std::move(options)), signals_(io_, SIGINT, SIGTERM), drainTimer_(io_), metrics_(registry_.registry()) {
    if (options_.controlApiUrl.empty()) options_.controlApiUrl = httpBase(options_.url);
    const unsigned threads =
        options_.mediaThreads ? options_.mediaThreads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i) threads_.push_back(std::make_unique<MediaThread>(i));
    // Recognition and synthesis: as many threads as cores, a few tasks per
    // call queued at most (a full pool degrades a call, never blocks it).
    pool_ = std::make_unique<voice::ComputePool>(std::max(1u, std::thread::hardware_concurrency()),
                                                 std::max<size_t>(16, size_t{options_.maxJobs} * 4));
  }

  int run() {
    client::AgentWorkerOptions agent;
    agent.url = options_.url;
    agent.apiKey = options_.apiKey;
    agent.apiSecret = options_.apiSecret;
    agent.agentName = options_.agentName;
    client_ = std::make_unique<client::AgentWorkerClient>(io_, *this, agent);
    std::string error;
    if (!client_->start(error)) {
      common::logger("worker")->error("{}", error);
      return 2;
    }
    if (options_.metricsPort && !serveMetrics(error)) {
      common::logger("worker")->error("{}", error);
      return 2;
    }
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (!ec) drain(signal);
    });
    common::logger("worker")->info("convox-worker: agent name '{}', {} media thread(s), up to {} calls, server {}",
                                   options_.agentName, threads_.size(), options_.maxJobs, options_.url);
    io_.run();
    if (metricsServer_) metricsServer_->stop();
    // The last UpdateJobStatus and the close frame go out.
    io_.restart();
    io_.run_for(std::chrono::milliseconds(200));
    client_.reset();
    // Calls first: each leaves its room and posts its final status (a drain
    // that timed out ends the rest here), and the loops keep running until
    // those posts are delivered (5 s at most). Then the pool (its threads
    // may still post to the media loops), then the loops.
    for (auto& thread : threads_) {
      std::promise<void> stopped;
      thread->post([&thread, &stopped] {
        for (auto& [id, session] : thread->sessions()) {
          session->stop("the worker is shutting down");
          thread->linger(session->releaseApi());
        }
        thread->sessions().clear();
        stopped.set_value();
      });
      stopped.get_future().wait();
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (auto& thread : threads_) {
      while (std::chrono::steady_clock::now() < deadline) {
        std::promise<size_t> pending;
        thread->post([&thread, &pending] { pending.set_value(thread->lingeringCount()); });
        if (pending.get_future().get() == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    pool_.reset();
    threads_.clear();
    return 0;
  }

 private:
  bool serveMetrics(std::string& error) {
    common::HttpRouter router;
    router.exact("/metrics", common::getOnly([this](const common::HttpRequest& req) {
                   // Gauges are read at scrape time, on this (the jobs') thread.
                   metrics_.setActiveCalls(jobs_.size());
                   metrics_.setComputeQueueDepth(pool_->queued());
                   return common::makeResponse(req, common::http::status::ok, registry_.render(),
                                               "text/plain; version=0.0.4; charset=utf-8");
                 }));
    try {
      metricsServer_ = std::make_unique<common::HttpServer>(io_, std::move(router), common::HttpServerLimits{});
      metricsServer_->listen(options_.metricsAddress, options_.metricsPort);
    } catch (const std::exception& e) {
      error = "cannot serve /metrics on " + options_.metricsAddress + ":" + std::to_string(options_.metricsPort) +
              ": " + e.what();
      return false;
    }
    common::logger("worker")->info("metrics on http://{}:{}/metrics", options_.metricsAddress, metricsServer_->port());
    return true;
  }

  void onRegistered(const std::string& workerId) override {
    common::logger("worker")->info("registered as {}", workerId);
  }

  void onConnectionLost(const std::string& reason, std::chrono::milliseconds retryIn) override {
    common::logger("worker")->warn("agent connection lost ({}); again in {} ms", reason, retryIn.count());
  }

  client::AvailabilityAnswer onAvailability(const livekit::AvailabilityRequest& request) override {
    client::AvailabilityAnswer answer;
    const auto& job = request.job();
    if (draining_ || jobs_.size() + accepted_.size() >= options_.maxJobs) return answer;
    auto metadata = parseJobMetadata(job.metadata());
    if (!metadata) {
      common::logger("worker")->warn("job {}: declined: {}", job.id(), metadata.error());
      return answer;
    }
    answer.available = true;
    accepted_.insert(job.id());  // counts against capacity until its assignment
    if (const auto* name = metadata->agent.if_contains("name"); name && name->is_string()) {
      answer.participantName = name->as_string();
    }
    if (answer.participantName.empty()) answer.participantName = "Convox agent";
    return answer;
  }

  void onAssignment(const livekit::JobAssignment& assignment) override {
    const auto& job = assignment.job();
    accepted_.erase(job.id());
    if (jobs_.contains(job.id())) return;  // a repeated assignment: the call runs already
    auto metadata = parseJobMetadata(job.metadata());
    if (!metadata) {
      client_->updateJob(job.id(), livekit::JS_FAILED, metadata.error());
      return;
    }
    // The least loaded thread takes it.
    auto* thread = std::min_element(threads_.begin(), threads_.end(), [](const auto& a, const auto& b) {
                     return a->jobCount.load() < b->jobCount.load();
                   })->get();
    jobs_[job.id()] = thread;
    ++thread->jobCount;
    CallSetup setup;
    setup.job = job;
    setup.metadata = std::move(*metadata);
    setup.url = assignment.has_url() && !assignment.url().empty() ? assignment.url() : options_.url;
    setup.token = assignment.token();
    setup.controlApiUrl = options_.controlApiUrl;
    setup.iceAddress = options_.iceAddress;
    setup.pool = pool_.get();
    setup.metrics = &metrics_;
    metrics_.callStarted();
    client_->updateJob(job.id(), livekit::JS_RUNNING);
    thread->post([this, thread, setup = std::move(setup)]() mutable {
      const std::string id = setup.job.id();
      auto session = std::make_unique<CallSession>(
          *thread, std::move(setup), [this, thread, id](bool failed, const std::string& reason) {
            // Not from inside the session's own call stack: erase it on the next turn.
            thread->post([thread, id] {
              auto it = thread->sessions().find(id);
              if (it == thread->sessions().end()) return;
              thread->linger(it->second->releaseApi());
              thread->sessions().erase(it);
            });
            boost::asio::post(io_, [this, id, failed, reason] { onJobEnded(id, failed, reason); });
          });
      auto* raw = session.get();
      thread->sessions()[id] = std::move(session);
      raw->start();
    });
  }

  void onTermination(const std::string& jobId) override {
    const auto it = jobs_.find(jobId);
    if (it == jobs_.end()) return;
    it->second->post([thread = it->second, jobId] {
      if (auto s = thread->sessions().find(jobId); s != thread->sessions().end()) s->second->stop("terminated");
    });
  }

  client::WorkerLoad currentLoad() override {
    client::WorkerLoad load;
    load.jobCount = static_cast<uint32_t>(jobs_.size());
    load.load = options_.maxJobs ? static_cast<float>(jobs_.size()) / static_cast<float>(options_.maxJobs) : 1.0f;
    load.full = jobs_.size() >= options_.maxJobs;
    return load;
  }

  void onJobEnded(const std::string& jobId, bool failed, const std::string& reason) {
    const auto it = jobs_.find(jobId);
    if (it == jobs_.end()) return;
    --it->second->jobCount;
    jobs_.erase(it);
    metrics_.callEnded(failed);
    if (client_) client_->updateJob(jobId, failed ? livekit::JS_FAILED : livekit::JS_SUCCESS, failed ? reason : "");
    if (draining_ && jobs_.empty()) finish();
  }

  void drain(int signal) {
    common::logger("worker")->info("signal {}: draining ({} call(s) running, up to {} s)", signal, jobs_.size(),
                                   options_.drainTimeout.count());
    draining_ = true;
    client_->drain();
    if (jobs_.empty()) return finish();
    drainTimer_.expires_after(options_.drainTimeout);
    drainTimer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) finish();
    });
    // A second signal ends at once.
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) finish();
    });
  }

  void finish() {
    drainTimer_.cancel();
    signals_.cancel();
    if (client_) client_->stop();
    io_.stop();
  }

  WorkerOptions options_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drainTimer_;
  common::Metrics registry_;  // before the threads: their calls record into it until they stop
  WorkerMetrics metrics_;
  std::unique_ptr<common::HttpServer> metricsServer_;
  std::unique_ptr<voice::ComputePool> pool_;  // before the threads: their calls use it until they stop
  std::vector<std::unique_ptr<MediaThread>> threads_;
  std::unique_ptr<client::AgentWorkerClient> client_;
  std::map<std::string, MediaThread*> jobs_;  // running jobs and the thread each runs on
  std::set<std::string> accepted_;            // said available, assignment not yet here
  bool draining_ = false;
};

AgentWorker::AgentWorker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

AgentWorker::~AgentWorker() = default;

int AgentWorker::run() { return impl_->run(); }

}  // namespace convox::worker

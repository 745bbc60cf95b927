#include "dispatcher_metrics.hpp"

#include <algorithm>

namespace convox::dispatcher {

namespace {

prometheus::Histogram& latencyHistogram(prometheus::Registry& registry) {
  auto& family = prometheus::BuildHistogram()
                     .Name("convox_agent_dispatch_latency_seconds")
                     .Help("Time from a job being queued to its assignment to a worker")
                     .Register(registry);
  return family.Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                                5, 10, 30, 60});
}

}  // namespace

DispatcherMetrics::DispatcherMetrics(prometheus::Registry& registry)
    : workers_(prometheus::BuildGauge()
                   .Name("convox_agent_workers")
                   .Help("Registered agent workers, by reported status")
                   .Register(registry)),
      jobs_(prometheus::BuildGauge().Name("convox_agent_jobs").Help("Agent jobs, by state").Register(registry)),
      attempts_(prometheus::BuildCounter()
                    .Name("convox_agent_job_attempts_total")
                    .Help("Availability requests sent to workers, by outcome")
                    .Register(registry)),
      ended_(prometheus::BuildCounter()
                 .Name("convox_agent_jobs_ended_total")
                 .Help("Agent jobs that ended, by how they ended")
                 .Register(registry)),
      latency_(latencyHistogram(registry)) {
  setWorkers(0, 0);
  setJobs(0, 0, 0);
}

void DispatcherMetrics::setWorkers(size_t available, size_t full) {
  workers_.Add({{"status", "available"}}).Set(static_cast<double>(available));
  workers_.Add({{"status", "full"}}).Set(static_cast<double>(full));
}

void DispatcherMetrics::setJobs(size_t waiting, size_t offered, size_t running) {
  jobs_.Add({{"state", "waiting"}}).Set(static_cast<double>(waiting));
  jobs_.Add({{"state", "offered"}}).Set(static_cast<double>(offered));
  jobs_.Add({{"state", "running"}}).Set(static_cast<double>(running));
}

void DispatcherMetrics::countAttempt(const std::string& outcome) {
  std::string label = outcome;
  std::replace(label.begin(), label.end(), ' ', '_');
  attempts_.Add({{"outcome", label}}).Increment();
}

void DispatcherMetrics::countEnded(const std::string& how) { ended_.Add({{"how", how}}).Increment(); }

void DispatcherMetrics::observeDispatchLatency(double seconds) { latency_.Observe(seconds); }

}  // namespace convox::dispatcher

#pragma once

// The dispatcher's Prometheus series: workers, jobs by state, attempts,
// ended jobs, and the dispatch latency (job created or re-queued -> assigned).

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace convox::dispatcher {

class DispatcherMetrics {
 public:
  explicit DispatcherMetrics(prometheus::Registry& registry);

  void setWorkers(size_t available, size_t full);
  void setJobs(size_t waiting, size_t offered, size_t running);
  // outcome: accepted, declined, timeout, worker closed, terminated
  void countAttempt(const std::string& outcome);
  // how: success, failed, expired, cancelled
  void countEnded(const std::string& how);
  void observeDispatchLatency(double seconds);

 private:
  prometheus::Family<prometheus::Gauge>& workers_;
  prometheus::Family<prometheus::Gauge>& jobs_;
  prometheus::Family<prometheus::Counter>& attempts_;
  prometheus::Family<prometheus::Counter>& ended_;
  prometheus::Histogram& latency_;
};

}  // namespace convox::dispatcher

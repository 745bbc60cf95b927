#pragma once

// Prometheus metrics: one registry per process, rendered as text at /metrics.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace convox::common {

class Metrics {
 public:
  Metrics();

  prometheus::Registry& registry() { return *registry_; }

  // Counts one HTTP response; `route` is the matched route pattern, never the
  // raw path, so label values stay bounded.
  void countHttpRequest(const std::string& route, unsigned status);

  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* httpRequests_;
};

}  // namespace convox::common

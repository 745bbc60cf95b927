#include "common/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace convox::common {

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      httpRequests_(&prometheus::BuildCounter()
                         .Name("convox_http_requests_total")
                         .Help("HTTP requests served, by route and status")
                         .Register(*registry_)) {}

void Metrics::countHttpRequest(const std::string& route, unsigned status) {
  httpRequests_->Add({{"route", route}, {"status", std::to_string(status)}}).Increment();
}

std::string Metrics::render() const { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

}  // namespace convox::common

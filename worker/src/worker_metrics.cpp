#include "worker_metrics.hpp"

#include <optional>
#include <string>

namespace convox::worker {

namespace {

// From 5 ms (a fake provider's stage) to 10 s (a slow cloud model).
const prometheus::Histogram::BucketBoundaries& latencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                               0.75,  1.0,  1.5,   2.5,  5.0, 10.0};
  return buckets;
}

std::optional<int64_t> timestamp(const boost::json::object& timings, std::string_view key) {
  const auto* value = timings.if_contains(key);
  if (!value || !value->is_int64() || value->as_int64() <= 0) return std::nullopt;
  return value->as_int64();
}

// Seconds between the stage's two timestamps; none when one is missing or
// they are out of order (a clock step must not record a negative latency).
std::optional<double> seconds(const boost::json::object& timings, const LatencyStage& stage) {
  const auto from = timestamp(timings, stage.from);
  const auto to = timestamp(timings, stage.to);
  if (!from || !to || *to < *from) return std::nullopt;
  return static_cast<double>(*to - *from) / 1000.0;
}

}  // namespace

WorkerMetrics::WorkerMetrics(prometheus::Registry& registry)
    : stages_(&prometheus::BuildHistogram()
                   .Name("convox_worker_stage_latency_seconds")
                   .Help("Latency of each voice pipeline stage of an agent turn, from the turn's stored timings")
                   .Register(registry)),
      voiceToVoice_(&prometheus::BuildHistogram()
                         .Name("convox_worker_voice_to_voice_seconds")
                         .Help("End of the user's speech to the agent's first audio packet out")
                         .Register(registry)
                         .Add({}, latencyBuckets())),
      activeCalls_(&prometheus::BuildGauge()
                        .Name("convox_worker_active_calls")
                        .Help("Calls this worker is running")
                        .Register(registry)
                        .Add({})),
      queueDepth_(&prometheus::BuildGauge()
                       .Name("convox_worker_compute_queue_depth")
                       .Help("Recognition and synthesis tasks waiting for a compute pool thread")
                       .Register(registry)
                       .Add({})),
      started_(&prometheus::BuildCounter()
                    .Name("convox_worker_calls_started_total")
                    .Help("Calls assigned to this worker")
                    .Register(registry)
                    .Add({})),
      ended_(&prometheus::BuildCounter()
                  .Name("convox_worker_calls_ended_total")
                  .Help("Calls that ended normally")
                  .Register(registry)
                  .Add({})),
      failed_(&prometheus::BuildCounter()
                   .Name("convox_worker_calls_failed_total")
                   .Help("Calls that ended with an error")
                   .Register(registry)
                   .Add({})) {
  // Every stage's series exists from the start, so a scrape before the
  // first turn already names them all.
  for (size_t i = 0; i < kLatencyStages.size(); ++i) {
    stageHistograms_[i] = &stages_->Add({{"stage", std::string(kLatencyStages[i].name)}}, latencyBuckets());
  }
}

void WorkerMetrics::recordTurn(const boost::json::object& turn) {
  const auto* role = turn.if_contains("role");
  const auto* timings = turn.if_contains("timings");
  if (!role || !role->is_string() || role->as_string() != "agent" || !timings || !timings->is_object()) return;
  const auto& t = timings->as_object();
  for (size_t i = 0; i < kLatencyStages.size(); ++i) {
    if (const auto s = seconds(t, kLatencyStages[i])) stageHistograms_[i]->Observe(*s);
  }
  if (const auto s = seconds(t, kVoiceToVoice)) voiceToVoice_->Observe(*s);
}

void WorkerMetrics::callStarted() { started_->Increment(); }

void WorkerMetrics::callEnded(bool failed) { (failed ? failed_ : ended_)->Increment(); }

void WorkerMetrics::setActiveCalls(size_t calls) { activeCalls_->Set(static_cast<double>(calls)); }

void WorkerMetrics::setComputeQueueDepth(size_t tasks) { queueDepth_->Set(static_cast<double>(tasks)); }

}  // namespace convox::worker

// The worker's latency histograms are fed from the timings each agent turn
// is stored with: a stage is the gap between two of its timestamps.
#include "worker_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <string>

namespace convox::worker {
namespace {

// The histogram sample with `label` = `value` in family `name`.
const prometheus::ClientMetric::Histogram* histogram(const std::vector<prometheus::MetricFamily>& families,
                                                     const std::string& name, const std::string& value = {}) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      if (value.empty() || (!metric.label.empty() && metric.label[0].value == value)) return &metric.histogram;
    }
  }
  return nullptr;
}

double scalar(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name != name || family.metric.empty()) continue;
    const auto& m = family.metric[0];
    return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

boost::json::object agentTurn() {
  boost::json::object timings{{"user_speech_start", 1'000'000}, {"user_speech_end", 1'002'000},
                              {"vad_end", 1'002'500},           {"stt_final", 1'002'620},
                              {"llm_first_token", 1'002'650},   {"tts_first_audio", 1'002'800},
                              {"first_packet_out", 1'002'830},  {"playout_end", 1'004'000}};
  return {{"role", "agent"}, {"text", "Sure."}, {"timings", std::move(timings)}};
}

TEST(WorkerMetrics, EachStageObservesTheGapBetweenItsTimestamps) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  metrics.recordTurn(agentTurn());
  const auto families = registry.Collect();
  const struct {
    const char* stage;
    double seconds;
  } expected[] = {
      {"endpointing", 0.5}, {"stt", 0.12}, {"llm_first_token", 0.03}, {"tts_first_audio", 0.15}, {"transport", 0.03}};
  for (const auto& e : expected) {
    const auto* h = histogram(families, "convox_worker_stage_latency_seconds", e.stage);
    ASSERT_NE(h, nullptr) << e.stage;
    EXPECT_EQ(h->sample_count, 1u) << e.stage;
    EXPECT_NEAR(h->sample_sum, e.seconds, 1e-9) << e.stage;
  }
  const auto* v2v = histogram(families, "convox_worker_voice_to_voice_seconds");
  ASSERT_NE(v2v, nullptr);
  EXPECT_EQ(v2v->sample_count, 1u);
  EXPECT_NEAR(v2v->sample_sum, 0.83, 1e-9);
  // 0.83 s lands in the 1 s bucket, not in the 0.75 s one (buckets are cumulative).
  for (const auto& bucket : v2v->bucket) {
    if (bucket.upper_bound == 0.75) {
      EXPECT_EQ(bucket.cumulative_count, 0u);
    }
    if (bucket.upper_bound == 1.0) {
      EXPECT_EQ(bucket.cumulative_count, 1u);
    }
  }
}

TEST(WorkerMetrics, UserTurnsFirstMessagesAndBadTimingsObserveNothing) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  auto user = agentTurn();
  user["role"] = "user";
  metrics.recordTurn(user);
  // A first message: no user speech before it, only the agent's own stages.
  boost::json::object first{{"role", "agent"},
                            {"timings", boost::json::object{{"tts_first_audio", 5'000}, {"first_packet_out", 5'020}}}};
  metrics.recordTurn(first);
  // Out of order (a clock step) and a string where a number belongs.
  auto odd = agentTurn();
  odd["timings"].as_object()["vad_end"] = 1'001'000;
  odd["timings"].as_object()["stt_final"] = "soon";
  metrics.recordTurn(odd);
  const auto families = registry.Collect();
  EXPECT_EQ(histogram(families, "convox_worker_stage_latency_seconds", "endpointing")->sample_count, 0u);
  EXPECT_EQ(histogram(families, "convox_worker_stage_latency_seconds", "stt")->sample_count, 0u);
  EXPECT_EQ(histogram(families, "convox_worker_stage_latency_seconds", "llm_first_token")->sample_count, 0u);
  // The first message's transport stage and the odd turn's valid ones count.
  EXPECT_EQ(histogram(families, "convox_worker_stage_latency_seconds", "transport")->sample_count, 2u);
  EXPECT_EQ(histogram(families, "convox_worker_stage_latency_seconds", "tts_first_audio")->sample_count, 1u);
  EXPECT_EQ(histogram(families, "convox_worker_voice_to_voice_seconds")->sample_count, 1u);
}

TEST(WorkerMetrics, CallsAndGauges) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry);
  metrics.callStarted();
  metrics.callStarted();
  metrics.callStarted();
  metrics.callEnded(false);
  metrics.callEnded(true);
  metrics.setActiveCalls(1);
  metrics.setComputeQueueDepth(7);
  const auto families = registry.Collect();
  EXPECT_EQ(scalar(families, "convox_worker_calls_started_total"), 3);
  EXPECT_EQ(scalar(families, "convox_worker_calls_ended_total"), 1);
  EXPECT_EQ(scalar(families, "convox_worker_calls_failed_total"), 1);
  EXPECT_EQ(scalar(families, "convox_worker_active_calls"), 1);
  EXPECT_EQ(scalar(families, "convox_worker_compute_queue_depth"), 7);
}

}  // namespace
}  // namespace convox::worker

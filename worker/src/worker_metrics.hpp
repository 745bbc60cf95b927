#pragma once

// The worker's Prometheus metrics (served at /metrics with --metrics-port):
// per-stage latency histograms and voice-to-voice latency, taken from the
// same timestamps each agent turn is stored with, plus gauges for the calls
// running and the compute pool's queue, and counters of calls. Recording is
// thread-safe (prometheus-cpp); media threads record their own turns.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <boost/json/object.hpp>

#include <array>
#include <string_view>

namespace convox::worker {

// A stage's latency is the time between two of a turn's timestamps.
struct LatencyStage {
  std::string_view name;  // the `stage` label
  std::string_view from;  // timings key the stage starts at
  std::string_view to;    // timings key it ends at
};

inline constexpr std::array<LatencyStage, 5> kLatencyStages{{
    {"endpointing", "user_speech_end", "vad_end"},  // the silence the VAD waits for
    {"stt", "vad_end", "stt_final"},
    {"llm_first_token", "stt_final", "llm_first_token"},
    {"tts_first_audio", "llm_first_token", "tts_first_audio"},
    {"transport", "tts_first_audio", "first_packet_out"},  // queue, encode, pacing
}};
// Voice to voice: the end of the user's speech to the agent's first packet out.
inline constexpr LatencyStage kVoiceToVoice{"voice_to_voice", "user_speech_end", "first_packet_out"};

class WorkerMetrics {
 public:
  explicit WorkerMetrics(prometheus::Registry& registry);

  // An agent turn as posted to the control API: each stage whose two
  // timestamps are present (and in order) is observed; user turns and
  // first messages (no user speech) observe nothing.
  void recordTurn(const boost::json::object& turn);
  void callStarted();
  void callEnded(bool failed);
  void setActiveCalls(size_t calls);
  void setComputeQueueDepth(size_t tasks);

 private:
  // Others (owned by the registry).
  prometheus::Family<prometheus::Histogram>* stages_;
  std::array<prometheus::Histogram*, kLatencyStages.size()> stageHistograms_{};
  prometheus::Histogram* voiceToVoice_;
  prometheus::Gauge* activeCalls_;
  prometheus::Gauge* queueDepth_;
  prometheus::Counter* started_;
  prometheus::Counter* ended_;
  prometheus::Counter* failed_;
};

}  // namespace convox::worker

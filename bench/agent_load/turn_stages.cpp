#include "turn_stages.hpp"

#include <array>

namespace convox::bench {

std::optional<TurnStages> turnStages(const boost::json::object& turn) {
  const auto* role = turn.if_contains("role");
  const auto* timings = turn.if_contains("timings");
  if (!role || !role->is_string() || role->as_string() != "agent" || !timings || !timings->is_object()) {
    return std::nullopt;
  }
  const auto& t = timings->as_object();
  constexpr std::array<const char*, 6> keys{"user_speech_end", "vad_end",         "stt_final",
                                            "llm_first_token", "tts_first_audio", "first_packet_out"};
  std::array<int64_t, keys.size()> at{};
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto* v = t.if_contains(keys[i]);
    if (!v || !v->is_int64()) return std::nullopt;
    at[i] = v->as_int64();
  }
  TurnStages s;
  s.userSpeechEnd = at[0];
  s.endpointingMs = static_cast<double>(at[1] - at[0]);
  s.sttMs = static_cast<double>(at[2] - at[1]);
  s.llmMs = static_cast<double>(at[3] - at[2]);
  s.ttsMs = static_cast<double>(at[4] - at[3]);
  s.transportMs = static_cast<double>(at[5] - at[4]);
  s.voiceToVoiceMs = static_cast<double>(at[5] - at[0]);
  return s;
}

}  // namespace convox::bench

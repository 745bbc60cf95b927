#pragma once

// The worker's own per-stage timestamps of one agent turn, as the control
// API stores them (GET /v1/conversations/{id}/turns, `timings`), turned
// into consecutive stages that add up to its voice-to-voice latency:
//   endpointing     user_speech_end -> vad_end (the silence the VAD waits for)
//   stt             vad_end -> stt_final
//   llm_first_token stt_final -> llm_first_token
//   tts_first_audio llm_first_token -> tts_first_audio
//   transport       tts_first_audio -> first_packet_out (queue, encode, pacing)
// These are the stages of the worker's /metrics histograms.

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>

namespace convox::bench {

struct TurnStages {
  int64_t userSpeechEnd = 0;  // unix ms
  double endpointingMs = 0;
  double sttMs = 0;
  double llmMs = 0;
  double ttsMs = 0;
  double transportMs = 0;
  double voiceToVoiceMs = 0;  // first_packet_out - user_speech_end
};

// nullopt unless the turn is an agent turn answering speech with every timestamp present.
std::optional<TurnStages> turnStages(const boost::json::object& turn);

}  // namespace convox::bench

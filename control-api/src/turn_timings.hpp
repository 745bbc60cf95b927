#pragma once

// The per-stage timestamps of a turn, listed once: their JSON names (the
// keys of a turn's `timings`) and, with `_at` appended, their columns.

#include "control_api/repository.hpp"

#include <array>
#include <string_view>

namespace convox::control_api {

struct TurnStage {
  std::string_view name;
  std::optional<int64_t> TurnTimings::*field;
};

inline constexpr std::array<TurnStage, 8> kTurnStages{{
    {"user_speech_start", &TurnTimings::userSpeechStart},
    {"user_speech_end", &TurnTimings::userSpeechEnd},
    {"vad_end", &TurnTimings::vadEnd},
    {"stt_final", &TurnTimings::sttFinal},
    {"llm_first_token", &TurnTimings::llmFirstToken},
    {"tts_first_audio", &TurnTimings::ttsFirstAudio},
    {"first_packet_out", &TurnTimings::firstPacketOut},
    {"playout_end", &TurnTimings::playoutEnd},
}};

}  // namespace convox::control_api

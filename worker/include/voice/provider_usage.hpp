#pragma once

// Billable quantities a provider client reports as it spends them, in the
// provider's own billing unit (Deepgram's streaming STT bills the
// WebSocket's lifetime, not the audio pushed; ElevenLabs bills characters),
// so the control API's price table turns them into cost exactly.

#include <functional>
#include <string>

namespace convox::voice {

struct ProviderUsage {
  std::string stage;     // stt | llm | tts
  std::string provider;  // deepgram | openai | elevenlabs | ...
  std::string model;     // as billed: "nova-3", "eleven_flash_v2_5", "tts-1"
  std::string unit;      // audio_seconds | input_tokens | output_tokens | characters
  double quantity = 0;
  // Not counted by the provider but estimated (a chat reply cut by barge-in
  // never gets its usage from the stream; see chat_stream.hpp): kept apart
  // from measured quantities all the way to the control API.
  bool estimated = false;
};

// Called on the call's thread; quantities add up (several reports of one
// unit are summed by the agent).
using UsageSink = std::function<void(const ProviderUsage& usage)>;

}  // namespace convox::voice

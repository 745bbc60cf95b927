#pragma once

// Ordered STT and TTS providers behaving as one (LiveKit's
// stt.FallbackAdapter / tts.FallbackAdapter semantics, as
// FallbackLanguageModel has them for the LLM):
// - STT: an utterance's error, or no final within `finalTimeout` of its end,
//   sends the same audio (kept for the purpose) to the next provider; the
//   next utterances go to the first provider still available.
// - TTS: an error, or no first audio within `firstAudioTimeout`, before any
//   audio of the sentence was delivered moves the sentence to the next
//   provider; after audio began the error is the caller's (the listener
//   already heard part of it).
// A provider that failed is unavailable until a background retry succeeds
// (STT: the failed utterance again; TTS: a short phrase, its audio dropped),
// retried after `recoveryDelay`, doubling to `recoveryMaxDelay`.

#include "voice/provider_switch.hpp"
#include "voice/stt_service.hpp"
#include "voice/tts_service.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace convox::voice {

struct ServiceFallbackSettings {
  std::chrono::milliseconds timeout{3000};  // STT: to the final after finish(); TTS: to the first audio
  std::chrono::milliseconds recoveryDelay{5000};
  std::chrono::milliseconds recoveryMaxDelay{60000};
  std::function<void(const ProviderSwitch&)> onEvent;
};

std::unique_ptr<SttService> makeFallbackSttService(boost::asio::io_context& io,
                                                   std::vector<std::unique_ptr<SttService>> services,
                                                   ServiceFallbackSettings settings);
std::unique_ptr<TtsService> makeFallbackTtsService(boost::asio::io_context& io,
                                                   std::vector<std::unique_ptr<TtsService>> services,
                                                   ServiceFallbackSettings settings);

}  // namespace convox::voice

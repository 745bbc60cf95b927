#pragma once

// Zero-cost providers for benchmarking (bench/agent_load), chosen by an
// agent document that names "convox-test" as its stt, llm or tts provider.
// They do no recognition, reasoning or synthesis, so a load run measures
// the pipeline around them (decode, VAD, queues, encode, network) and how
// many calls a core carries when providers cost nothing. Not for callers.

#include "agent_config/agent_settings.hpp"
#include "voice/language_model.hpp"
#include "voice/speech_to_text.hpp"
#include "voice/text_to_speech.hpp"

#include <functional>
#include <memory>
#include <string>

namespace convox::voice {

inline constexpr const char* kTestProvider = "convox-test";

// The provider's `config.<key>` string (the transcript, the reply), else `fallback`.
std::string testProviderText(const agent_config::ProviderChoice& choice, const char* key, std::string fallback);

// Returns `transcript` for every utterance, at once, when the VAD ends it.
std::unique_ptr<SpeechToText> makeTestRecognizer(std::string transcript);

// Replies `reply` to every turn, in one delta, on the next turn of `post`'s loop.
std::unique_ptr<LanguageModel> makeTestLanguageModel(std::string reply,
                                                     std::function<void(std::function<void()>)> post);

// A 440 Hz tone as long as the text would take to say (kTestCharsPerSecond),
// delivered in one chunk.
inline constexpr int kTestCharsPerSecond = 15;
std::unique_ptr<TextToSpeech> makeTestSynthesizer();

}  // namespace convox::voice

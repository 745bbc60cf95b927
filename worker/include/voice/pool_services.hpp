#pragma once

// The local engines (PocketSphinx, espeak-ng, the benchmark's test engines)
// block while they work, so they run on the compute pool; these adapters
// give them the asynchronous service shape the voice agent speaks to. The
// engine is made on the pool too (loading an acoustic model takes a while):
// audio and text given before it is ready wait, bounded. One pool task per
// service at a time keeps the engine single-threaded; results come back
// through `post` (the call's event loop), so the service's state lives on
// the call's thread only.

#include "voice/compute_pool.hpp"
#include "voice/stt_service.hpp"
#include "voice/tts_service.hpp"

#include <functional>
#include <memory>
#include <string>

namespace convox::voice {

// Runs on the pool; null with `error` set when the engine cannot be made.
using SttEngineLoader = std::function<std::unique_ptr<SpeechToText>(std::string& error)>;
using TtsEngineLoader = std::function<std::unique_ptr<TextToSpeech>(std::string& error)>;

struct PoolServiceSettings {
  std::string provider;  // for usage and turns: "pocketsphinx", "espeak-ng", "convox-test"
  std::string model;     // as reported in usage: the acoustic model, the voice
  ComputePool::Poster post;
  UsageSink usage;
  // The engine could not be made: the call cannot hear (or speak) with it.
  std::function<void(const std::string& error)> onUnavailable;
};

// `post` that drops the task once `alive` is gone or false: a closed
// service takes no more results from its pool tasks.
ComputePool::Poster guardedPoster(ComputePool::Poster post, std::weak_ptr<bool> alive);

std::unique_ptr<SttService> makePoolSttService(ComputePool& pool, SttEngineLoader loader, PoolServiceSettings settings);
std::unique_ptr<TtsService> makePoolTtsService(ComputePool& pool, TtsEngineLoader loader, PoolServiceSettings settings);

}  // namespace convox::voice

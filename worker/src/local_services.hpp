#pragma once

// The offline engines as the call's services: PocketSphinx (with the
// agent's phrases as its grammar) and espeak-ng, or the zero-cost engines
// of an agent that names "convox-test" (bench/agent_load). They run on the
// compute pool; nothing here touches the network.

#include "agent_config/agent_settings.hpp"
#include "voice/compute_pool.hpp"
#include "voice/stt_service.hpp"
#include "voice/tts_service.hpp"

#include <functional>
#include <memory>
#include <string>

namespace convox::worker {

struct LocalServiceContext {
  voice::ComputePool& pool;
  voice::ComputePool::Poster post;  // onto the call's event loop
  voice::UsageSink usage;
  std::function<void(const std::string& error)> onUnavailable;
};

// True for the stage's providers served here ("" is the offline default).
bool isLocalSttProvider(const std::string& provider);
bool isLocalTtsProvider(const std::string& provider);

std::unique_ptr<voice::SttService> makeLocalStt(const agent_config::AgentSettings& settings,
                                                const LocalServiceContext& context);
std::unique_ptr<voice::TtsService> makeLocalTts(const agent_config::AgentSettings& settings,
                                                const LocalServiceContext& context);

}  // namespace convox::worker

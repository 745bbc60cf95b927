#pragma once

// Chooses the call's speech services from the agent document's `stt` and
// `tts` (and their `fallback` lists): the offline engines (PocketSphinx,
// espeak-ng), or the network providers' clients. As for the language model,
// a provider this worker does not know, or cannot reach (no key for a cloud
// API), fails the call with the reason, unless a fallback of the list can be
// made; it never silently becomes the offline engine.

#include "agent_config/agent_settings.hpp"
#include "language_model_factory.hpp"
#include "voice/compute_pool.hpp"
#include "voice/stt_service.hpp"
#include "voice/tts_service.hpp"
#include "voice_agent.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace convox::worker {

struct SpeechServiceContext {
  voice::ComputePool& pool;
  voice::ComputePool::Poster post;  // onto the call's event loop
  boost::asio::io_context& io;      // the call's network I/O, on the same thread
  voice::UsageSink usage;
  std::function<void(const ProviderEvent& event)> onEvent;
  std::function<void(const std::string& error)> onUnavailable;  // an offline engine could not load
  EnvLookup env;
};

template <class Service>
struct ServiceChoice {
  std::unique_ptr<Service> service;  // null on failure
  std::string error;
  std::string endReason;  // invalid_agent_config | provider_unavailable
  std::string provider;   // "deepgram", or "deepgram -> openai" for a cascade
};

ServiceChoice<voice::SttService> makeSttService(const agent_config::AgentSettings& agent,
                                                const SpeechServiceContext& context);
ServiceChoice<voice::TtsService> makeTtsService(const agent_config::AgentSettings& agent,
                                                const SpeechServiceContext& context);

}  // namespace convox::worker

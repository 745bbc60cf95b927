#include "speech_service_factory.hpp"

#include "common/logging.hpp"
#include "local_services.hpp"
#include "provider_endpoint.hpp"
#include "voice/fallback_services.hpp"
#include "voice/test_providers.hpp"

#include <vector>

namespace convox::worker {

namespace {

template <class Service>
using Maker = ServiceChoice<Service> (*)(const agent_config::AgentSettings& agent,
                                         const agent_config::ProviderChoice& choice,
                                         const SpeechServiceContext& context);

// --- one provider ------------------------------------------------------------

ServiceChoice<voice::SttService> oneStt(const agent_config::AgentSettings& agent,
                                        const agent_config::ProviderChoice& choice,
                                        const SpeechServiceContext& context) {
  ServiceChoice<voice::SttService> out;
  out.provider = choice.provider.empty() ? "pocketsphinx" : choice.provider;
  if (isLocalSttProvider(choice.provider)) {
    auto copy = agent;
    copy.stt = choice;
    out.service = makeLocalStt(copy, {context.pool, context.post, context.usage, context.onUnavailable});
    return out;
  }
  out.endReason = "provider_unavailable";
  out.error = "stt provider '" + choice.provider + "' is not supported by this worker (it serves pocketsphinx, " +
              voice::kTestProvider + ")";
  return out;
}

ServiceChoice<voice::TtsService> oneTts(const agent_config::AgentSettings& agent,
                                        const agent_config::ProviderChoice& choice,
                                        const SpeechServiceContext& context) {
  ServiceChoice<voice::TtsService> out;
  out.provider = choice.provider.empty() ? "espeak-ng" : choice.provider;
  if (isLocalTtsProvider(choice.provider)) {
    auto copy = agent;
    copy.tts = choice;
    out.service = makeLocalTts(copy, {context.pool, context.post, context.usage, context.onUnavailable});
    return out;
  }
  out.endReason = "provider_unavailable";
  out.error = "tts provider '" + choice.provider + "' is not supported by this worker (it serves espeak-ng, " +
              voice::kTestProvider + ")";
  return out;
}

// --- the stage: its provider and fallbacks -----------------------------------

template <class Service, class MakeFallback>
ServiceChoice<Service> stage(const char* name, const agent_config::AgentSettings& agent,
                             const agent_config::ProviderChoice& primary, const SpeechServiceContext& context,
                             Maker<Service> make, MakeFallback makeFallback) {
  auto first = make(agent, primary, context);
  if (primary.fallbacks.empty()) return first;
  std::vector<std::unique_ptr<Service>> services;
  std::string names;
  auto add = [&](ServiceChoice<Service>& c) {
    if (!c.service) {
      common::logger("worker")->warn("{} cascade: {} is left out: {}", name, c.provider, c.error);
      return;
    }
    names += (names.empty() ? "" : " -> ") + c.provider;
    services.push_back(std::move(c.service));
  };
  ServiceChoice<Service> failed;
  failed.error = first.error;
  failed.endReason = first.endReason;
  failed.provider = first.provider;
  add(first);
  for (const auto& f : primary.fallbacks) {
    auto c = make(agent, f, context);
    add(c);
  }
  if (services.empty()) return failed;
  ServiceChoice<Service> out;
  out.provider = names;
  if (services.size() == 1) {
    out.service = std::move(services.front());
    return out;
  }
  voice::ServiceFallbackSettings settings;
  settings.onEvent = [onEvent = context.onEvent, name](const voice::ServiceSwitch& s) {
    if (onEvent) onEvent({name, s.provider, s.event, s.reason, s.to});
  };
  out.service = makeFallback(context.io, std::move(services), std::move(settings));
  return out;
}

}  // namespace

ServiceChoice<voice::SttService> makeSttService(const agent_config::AgentSettings& agent,
                                                const SpeechServiceContext& context) {
  return stage<voice::SttService>("stt", agent, agent.stt, context, &oneStt, voice::makeFallbackSttService);
}

ServiceChoice<voice::TtsService> makeTtsService(const agent_config::AgentSettings& agent,
                                                const SpeechServiceContext& context) {
  return stage<voice::TtsService>("tts", agent, agent.tts, context, &oneTts, voice::makeFallbackTtsService);
}

}  // namespace convox::worker

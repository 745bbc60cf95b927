#pragma once

// An ordered list of language models behaving as one, with the semantics of
// LiveKit's llm.FallbackAdapter: a reply goes to the first available model;
// an error, a connect failure, or no first token within
// `firstTokenTimeout` moves the same request to the next one — but only
// while nothing of the reply has been delivered (the caller may already be
// hearing it). A model that failed is marked unavailable and probed in the
// background (a one-line request, its usage reported) until it answers, then
// it is first again. When every model is unavailable they are all tried in
// order anyway: a call is never refused while one might answer.

#include "voice/language_model.hpp"
#include "voice/provider_switch.hpp"
#include "voice/provider_usage.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace convox::voice {

struct FallbackModel {
  std::string provider;  // for events and logs
  std::unique_ptr<LanguageModel> model;
};

struct FallbackSettings {
  std::chrono::milliseconds firstTokenTimeout{8000};  // llm_cascade_timeout_seconds
  std::chrono::milliseconds recoveryDelay{5000};      // first probe; doubles up to recoveryMaxDelay
  std::chrono::milliseconds recoveryMaxDelay{60000};
  std::function<void(const ProviderSwitch&)> onEvent;
  UsageSink usage;  // of the probes
};

std::unique_ptr<LanguageModel> makeFallbackLanguageModel(boost::asio::io_context& io, std::vector<FallbackModel> models,
                                                         FallbackSettings settings);

}  // namespace convox::voice

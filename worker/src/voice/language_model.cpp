#include "voice/language_model.hpp"

namespace convox::voice {

void reportModelUsage(const UsageSink& sink, const ModelUsage& usage) {
  if (!sink || usage.provider.empty()) return;
  if (usage.inputTokens > 0) {
    sink({"llm", usage.provider, usage.model, "input_tokens", static_cast<double>(usage.inputTokens),
          usage.inputEstimated});
  }
  if (usage.outputTokens > 0) {
    sink({"llm", usage.provider, usage.model, "output_tokens", static_cast<double>(usage.outputTokens),
          usage.outputEstimated});
  }
}

}  // namespace convox::voice

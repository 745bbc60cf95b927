#pragma once

// A stage's cascade (llm, stt, tts): its provider and the agent document's
// fallbacks, made in the document's order, the same way for every stage.

#include "common/logging.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convox::worker {

// `candidates` are the primary's choice and then each fallback's, already
// made; `made` names the member holding what was made (null when it could
// not be: no key on this worker, an engine not installed). One that could not
// be made is left out with its reason logged; the stage fails, with the
// primary's reason, only when none could. A lone survivor is returned as it
// is; two or more are handed to `wrap` (a vector of their choices, in order),
// which returns the fallback service over them. The result's provider names
// the cascade, e.g. "deepgram -> openai".
template <class Choice, class Made, class Wrap>
Choice makeCascade(std::string_view stage, std::vector<Choice> candidates, std::unique_ptr<Made> Choice::*made,
                   Wrap wrap) {
  std::vector<Choice> members;
  std::string names;
  for (auto& c : candidates) {
    if (!(c.*made)) {
      common::logger("worker")->warn("{} cascade: {} is left out: {}", stage, c.provider, c.error);
      continue;
    }
    names += (names.empty() ? "" : " -> ") + c.provider;
    members.push_back(std::move(c));
  }
  Choice out;
  if (members.empty()) {
    // Only made members were moved, so the primary is still whole.
    out.error = candidates.front().error;
    out.endReason = candidates.front().endReason;
    out.provider = candidates.front().provider;
    return out;
  }
  out.provider = std::move(names);
  out.*made = members.size() == 1 ? std::move(members.front().*made) : wrap(std::move(members));
  return out;
}

}  // namespace convox::worker

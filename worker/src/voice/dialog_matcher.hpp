#pragma once

// The dialog engine's pure parts: scoring intents against the user's words
// and capturing slots. Words are normalised as the STT grammar normalises
// them (voice::normaliseWords), so a recognised phrase matches its example.

#include "agent_config/agent_settings.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace convox::voice::dialog {

struct IntentMatch {
  size_t index = 0;  // into the intents
  double score = 0;
  size_t afterKeyword = 0;  // word index just after the last keyword hit (0 without one)
};

// Below this no intent is chosen (the fallback reply): a keyword hit scores
// at least 1, half an example's content words score 0.5.
inline constexpr double kMinIntentScore = 0.5;

// A keyword scores 1 (+0.25 per extra word) when its words occur together in
// `words`; the best example scores the share of its content words present
// (counted from one half), or 2 when the utterance is exactly the example.
double intentScore(const agent_config::DialogIntent& intent, const std::vector<std::string>& words,
                   size_t& afterKeyword);

// The highest score wins; a tie goes to the intent listed first.
std::optional<IntentMatch> bestIntent(const std::vector<agent_config::DialogIntent>& intents,
                                      const std::vector<std::string>& words);

// The slot's value from the user's words: number ("twenty one", "21" -> "21"),
// digits ("one two 3" -> "123"), yes_no ("yes" | "no"), text (the words after
// the last keyword; the whole utterance when no keyword was hit). nullopt
// when the words hold none.
std::optional<std::string> captureSlot(const agent_config::DialogSlot& slot, const std::vector<std::string>& words,
                                       size_t afterKeyword);

}  // namespace convox::voice::dialog

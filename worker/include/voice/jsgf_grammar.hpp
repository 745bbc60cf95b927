#pragma once

// A JSGF grammar from the phrases an agent expects (its intents' examples,
// keywords, first-message answers), for PocketSphinx's grammar search.
// Phrases are lower-cased and split on punctuation; words the recogniser's
// dictionary lacks (numbers written as digits, names, non-ASCII) cannot be
// recognised and are dropped from the phrase and reported.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

struct JsgfGrammar {
  std::string text;                       // the JSGF document
  std::vector<std::string> phrases;       // normalised, deduplicated, in input order
  std::vector<std::string> droppedWords;  // normalised, deduplicated
};

inline constexpr size_t kMaxGrammarPhrases = 2000;
inline constexpr size_t kMaxGrammarPhraseWords = 40;

// nullopt and `error` set when no phrase has a known word or the input is
// beyond the limits above.
std::optional<JsgfGrammar> buildJsgfGrammar(std::span<const std::string> phrases,
                                            const std::function<bool(std::string_view)>& inDictionary,
                                            std::string& error);

// Lower-cases and splits like buildJsgfGrammar (for comparing transcripts).
std::vector<std::string> normaliseWords(std::string_view text);

}  // namespace convox::voice

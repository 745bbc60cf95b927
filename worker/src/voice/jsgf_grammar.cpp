#include "voice/jsgf_grammar.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace convox::voice {
namespace {

// Bytes that end a word. Apostrophes stay ("what's" is a dictionary word);
// bytes >= 0x80 stay too, so a UTF-8 word is kept whole and then reported as
// unknown instead of being cut into ASCII fragments.
bool isSeparator(unsigned char c) { return c < 0x80 && !(std::isalnum(c) != 0 || c == '\''); }

// Only these can appear in the JSGF text: JSGF's own operators (| ; = < > *
// + ( ) [ ] { } / " \) are separators above, so nothing needs quoting.
bool isGrammarWord(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '\''; });
}

}  // namespace

std::vector<std::string> normaliseWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto finish = [&] {
    // Quotes used as quotation marks: 'hello' -> hello.
    while (!word.empty() && word.front() == '\'') word.erase(word.begin());
    while (!word.empty() && word.back() == '\'') word.pop_back();
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  for (unsigned char c : text) {
    if (isSeparator(c)) {
      finish();
    } else {
      word.push_back(c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c));
    }
  }
  finish();
  return words;
}

std::optional<JsgfGrammar> buildJsgfGrammar(std::span<const std::string> phrases,
                                            const std::function<bool(std::string_view)>& inDictionary,
                                            std::string& error) {
  if (phrases.size() > kMaxGrammarPhrases) {
    error = "grammar: " + std::to_string(phrases.size()) + " phrases, at most " + std::to_string(kMaxGrammarPhrases);
    return std::nullopt;
  }
  JsgfGrammar g;
  std::unordered_set<std::string> seenPhrases;
  std::unordered_set<std::string> seenDropped;
  for (const auto& phrase : phrases) {
    const auto words = normaliseWords(phrase);
    if (words.size() > kMaxGrammarPhraseWords) {
      error = "grammar: phrase \"" + phrase.substr(0, 60) + "\" has " + std::to_string(words.size()) +
              " words, at most " + std::to_string(kMaxGrammarPhraseWords);
      return std::nullopt;
    }
    std::string kept;
    for (const auto& w : words) {
      if (isGrammarWord(w) && inDictionary(w)) {
        if (!kept.empty()) kept += ' ';
        kept += w;
      } else if (seenDropped.insert(w).second) {
        g.droppedWords.push_back(w);
      }
    }
    if (!kept.empty() && seenPhrases.insert(kept).second) g.phrases.push_back(std::move(kept));
  }
  if (g.phrases.empty()) {
    error = "grammar: no phrase has a word the dictionary knows";
    return std::nullopt;
  }
  g.text = "#JSGF V1.0;\ngrammar convox;\npublic <utterance> =\n";
  for (size_t i = 0; i < g.phrases.size(); ++i) {
    g.text += i == 0 ? "    " : "  | ";
    g.text += g.phrases[i];
    g.text += '\n';
  }
  g.text += "  ;\n";
  return g;
}

}  // namespace convox::voice

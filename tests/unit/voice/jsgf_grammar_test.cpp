#include "voice/jsgf_grammar.hpp"

#include <gtest/gtest.h>

#include <set>

namespace convox::voice {
namespace {

// A dictionary of the words these tests use.
bool known(std::string_view w) {
  static const std::set<std::string, std::less<>> words = {
      "book", "an", "appointment", "what's", "your", "name", "hello", "there", "at", "three", "p", "m", "goodbye"};
  return words.find(w) != words.end();
}

TEST(JsgfGrammar, LowerCasesSplitsOnPunctuationAndDeduplicates) {
  std::string error;
  const std::vector<std::string> phrases = {"Book an APPOINTMENT!", "book an appointment", "Hello, there.",
                                            "What's your name?"};
  auto g = buildJsgfGrammar(phrases, known, error);
  ASSERT_TRUE(g) << error;
  EXPECT_EQ(g->phrases, (std::vector<std::string>{"book an appointment", "hello there", "what's your name"}));
  EXPECT_TRUE(g->droppedWords.empty());
  EXPECT_EQ(g->text,
            "#JSGF V1.0;\ngrammar convox;\npublic <utterance> =\n    book an appointment\n  | hello there\n"
            "  | what's your name\n  ;\n");
}

TEST(JsgfGrammar, JsgfOperatorsNeverReachTheGrammar) {
  std::string error;
  const std::vector<std::string> phrases = {"hello | goodbye; <name> = (there)* [at] {three} /p/ \"m\" + \\"};
  auto g = buildJsgfGrammar(phrases, known, error);
  ASSERT_TRUE(g) << error;
  EXPECT_EQ(g->phrases, (std::vector<std::string>{"hello goodbye name there at three p m"}));
  for (char c : std::string("|;=<>()[]{}*+/\"\\")) {
    EXPECT_EQ(g->phrases[0].find(c), std::string::npos) << c;
  }
}

TEST(JsgfGrammar, UnknownWordsAreDroppedAndReported) {
  std::string error;
  const std::vector<std::string> phrases = {"Book at 3 pm, Zanzibar", "'hello' café", "Xyzzy"};
  auto g = buildJsgfGrammar(phrases, known, error);
  ASSERT_TRUE(g) << error;
  // "Xyzzy" had no known word: the phrase is gone, not an empty alternative.
  EXPECT_EQ(g->phrases, (std::vector<std::string>{"book at", "hello"}));
  EXPECT_EQ(g->droppedWords, (std::vector<std::string>{"3", "pm", "zanzibar", "café", "xyzzy"}));
}

TEST(JsgfGrammar, RefusesWhatCannotBeAGrammar) {
  std::string error;
  EXPECT_FALSE(buildJsgfGrammar(std::vector<std::string>{"Xyzzy", "!!!"}, known, error));
  EXPECT_NE(error.find("no phrase"), std::string::npos);
  EXPECT_FALSE(buildJsgfGrammar(std::vector<std::string>(kMaxGrammarPhrases + 1, "hello"), known, error));
  EXPECT_NE(error.find("at most"), std::string::npos);
  std::string longPhrase;
  for (size_t i = 0; i <= kMaxGrammarPhraseWords; ++i) longPhrase += "hello ";
  EXPECT_FALSE(buildJsgfGrammar(std::vector<std::string>{longPhrase}, known, error));
  EXPECT_NE(error.find("words"), std::string::npos);
}

TEST(JsgfGrammar, NormaliseWords) {
  EXPECT_EQ(normaliseWords("Thank you, goodbye."), (std::vector<std::string>{"thank", "you", "goodbye"}));
  EXPECT_EQ(normaliseWords("  "), std::vector<std::string>{});
}

}  // namespace
}  // namespace convox::voice

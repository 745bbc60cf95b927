#include "voice/sentence_chunker.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convox::voice {
namespace {

using Chunks = std::vector<std::string>;

// Streams `text` in pieces of `step` bytes, like LLM tokens.
Chunks chunk(const std::string& text, ChunkerSettings settings = {}, size_t step = 3) {
  SentenceChunker c(settings);
  Chunks out;
  auto sink = [&](std::string_view s) { out.emplace_back(s); };
  for (size_t at = 0; at < text.size(); at += step) c.push(std::string_view(text).substr(at, step), sink);
  c.finish(sink);
  return out;
}

constexpr ChunkerSettings kSentencesOnly{.firstChunkEarly = false};

TEST(SentenceChunker, SplitsSentences) {
  EXPECT_EQ(chunk("Hello there. How are you? I'm fine!"), (Chunks{"Hello there.", "How are you?", "I'm fine!"}));
}

TEST(SentenceChunker, FirstChunkEndsEarlyAtACommaAfterEnoughWords) {
  EXPECT_EQ(chunk("Sure, I can book you in for tomorrow at three, and we will send you a text, if you like."),
            (Chunks{"Sure, I can book you in for tomorrow at three,", "and we will send you a text, if you like."}));
}

TEST(SentenceChunker, EmitsASentenceAsSoonAsTheNextWordStarts) {
  SentenceChunker c;
  Chunks out;
  auto sink = [&](std::string_view s) { out.emplace_back(s); };
  c.push("Hello there.", sink);
  EXPECT_TRUE(out.empty());  // "there." may be "there.5" or "Dr." territory: wait
  c.push(" H", sink);
  EXPECT_EQ(out, Chunks{"Hello there."});
}

TEST(SentenceChunker, AbbreviationsDecimalsAndInitialsStayTogether) {
  EXPECT_EQ(
      chunk("Dr. Smith sees you at 3.5 past, e.g. tomorrow at 3 p.m. after lunch. J. R. Jones is off. Bye.",
            kSentencesOnly),
      (Chunks{"Dr. Smith sees you at 3.5 past, e.g. tomorrow at 3 p.m. after lunch.", "J. R. Jones is off.", "Bye."}));
  EXPECT_EQ(chunk("It costs 1,000 rupees, or 12.50 dollars.", kSentencesOnly),
            (Chunks{"It costs 1,000 rupees, or 12.50 dollars."}));
}

TEST(SentenceChunker, QuotesEllipsesAndRepeatedMarks) {
  EXPECT_EQ(chunk("He said \"stop.\" Then he left... Really?! Yes."),
            (Chunks{"He said \"stop.\"", "Then he left...", "Really?!", "Yes."}));
}

TEST(SentenceChunker, SameChunksHoweverTheTextIsStreamed) {
  const std::string text =
      "Thanks for calling, this is the front desk of the clinic, how can I help? We open at 9 a.m. on weekdays. "
      "Dr. Rao is in today.";
  const auto whole = chunk(text, {}, text.size());
  for (size_t step : {1, 2, 5, 7, 13}) EXPECT_EQ(chunk(text, {}, step), whole) << step;
  EXPECT_EQ(whole, (Chunks{"Thanks for calling, this is the front desk of the clinic,", "how can I help?",
                           "We open at 9 a.m. on weekdays.", "Dr. Rao is in today."}));
}

TEST(SentenceChunker, LeftoverAndNewlinesAndLongUnpunctuatedText) {
  EXPECT_EQ(chunk("first line\nsecond line without a stop"), (Chunks{"first line", "second line without a stop"}));
  std::string longText;
  for (int i = 0; i < 100; ++i) longText += "word ";
  const auto pieces = chunk(longText, {.maxChars = 50});
  ASSERT_GT(pieces.size(), 5u);
  for (const auto& p : pieces) {
    EXPECT_LE(p.size(), 50u);
    EXPECT_NE(p.back(), ' ');
    EXPECT_EQ(p.find("wor "), std::string::npos);  // cut between words
  }
}

TEST(SentenceChunker, ResetStartsANewReply) {
  SentenceChunker c;
  Chunks out;
  auto sink = [&](std::string_view s) { out.emplace_back(s); };
  c.push("Half a sentence that was interrupted", sink);
  c.reset();
  c.push("Okay, I have stopped and I am listening now, go on.", sink);
  c.finish(sink);
  // The new reply's first chunk may end early again; nothing of the old one.
  EXPECT_EQ(out, (Chunks{"Okay, I have stopped and I am listening now,", "go on."}));
}

TEST(SentenceChunker, EmptyInputGivesNothing) {
  EXPECT_TRUE(chunk("").empty());
  EXPECT_TRUE(chunk("   \n  ").empty());
}

}  // namespace
}  // namespace convox::voice

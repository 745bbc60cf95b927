#include <gtest/gtest.h>

#include "voice/spoken_text.hpp"

namespace convox::voice {
namespace {

TEST(SpokenText, CutsAPieceAfterTheLastWordThatHadBegun) {
  SpokenText s;
  // "Hello there. How are you?" at 48 kHz: words at 0, 0.3, 0.8, 1.0, 1.2 s.
  s.add("Hello there. How are you?", 0, 72000, {{0, 0}, {6, 14400}, {13, 38400}, {17, 48000}, {21, 57600}});
  EXPECT_EQ(s.upTo(0), "");
  EXPECT_EQ(s.upTo(100), "Hello");
  EXPECT_EQ(s.upTo(14400), "Hello");
  EXPECT_EQ(s.upTo(14401), "Hello there.");
  EXPECT_EQ(s.upTo(50000), "Hello there. How are");
  EXPECT_EQ(s.upTo(72000), "Hello there. How are you?");
  EXPECT_EQ(s.all(), "Hello there. How are you?");
}

TEST(SpokenText, LaterPiecesStartWhereTheirAudioStarts) {
  SpokenText s;
  s.add("First one.", 0, 48000, {{0, 0}, {6, 24000}});
  s.add("Second one.", 48000, 48000, {{0, 0}, {7, 24000}});
  EXPECT_EQ(s.upTo(47999), "First one.");
  EXPECT_EQ(s.upTo(48000), "First one.");
  EXPECT_EQ(s.upTo(48001), "First one. Second");
  EXPECT_EQ(s.upTo(1000000), "First one. Second one.");
}

TEST(SpokenText, WithoutWordTimesCutsInProportionAtAWordEnd) {
  SpokenText s;
  s.add("one two three four", 0, 1800, {});
  EXPECT_EQ(s.upTo(900), "one two three");  // half of the 18 bytes is inside "three"
  EXPECT_EQ(s.upTo(1), "one");
  EXPECT_EQ(s.upTo(1800), "one two three four");
}

TEST(SpokenText, ClearForgetsEverything) {
  SpokenText s;
  s.add("x", 0, 10, {});
  EXPECT_FALSE(s.empty());
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.upTo(100), "");
}

}  // namespace
}  // namespace convox::voice

namespace convox::voice {
namespace {

TEST(SpokenText, TakesAddUpToTheWholeTextWordByWord) {
  SpokenText s;
  s.add("Hello there.", 0, 48000, {{0, 0}, {6, 24000}});
  std::vector<std::string> deltas;
  for (int64_t played = 960; played <= 48000; played += 960)
    if (auto d = s.takeUpTo(played); !d.empty()) deltas.push_back(d);
  s.add("How are you?", 48000, 48000, {{0, 0}, {4, 16000}, {8, 32000}});
  for (int64_t played = 48000; played <= 96000; played += 960)
    if (auto d = s.takeUpTo(played); !d.empty()) deltas.push_back(d);
  deltas.push_back(s.takeAll());
  EXPECT_EQ(deltas, (std::vector<std::string>{"Hello", " there.", " How", " are", " you?", ""}));
}

TEST(SpokenText, ACutCaptionStopsAtTheLastWordBegun) {
  SpokenText s;
  s.add("one two three four", 0, 48000, {{0, 0}, {4, 12000}, {8, 24000}, {14, 36000}});
  std::string caption = s.takeUpTo(13000);
  caption += s.takeUpTo(13000);
  EXPECT_EQ(caption, "one two");
  EXPECT_EQ(s.takeAll(), " three four");  // what is left when it plays to its end
}

}  // namespace
}  // namespace convox::voice

namespace convox::voice {
namespace {

// The caption's per-frame take is incremental (a cursor, no string per
// frame); at every frame its deltas so far must equal upTo(), with word
// times and without, across pieces.
TEST(SpokenText, IncrementalTakesMatchUpToAtEveryFrame) {
  SpokenText s;
  s.add("Hello there. How are you?", 0, 72000, {{0, 0}, {6, 14400}, {13, 38400}, {17, 48000}, {21, 57600}});
  s.add("one two  three four", 72000, 9600, {});
  s.add("Last.", 81600, 4800, {{0, 0}});
  std::string caption;
  for (int64_t played = 0; played <= 90000; played += 960) {
    const std::string delta = s.takeUpTo(played);
    caption += delta;
    ASSERT_EQ(caption, s.upTo(played)) << "at " << played;
    // No new word since the last frame: nothing handed out.
    EXPECT_TRUE(s.takeUpTo(played).empty()) << "at " << played;
  }
  caption += s.takeAll();
  EXPECT_EQ(caption, s.all());
  EXPECT_TRUE(s.takeAll().empty());
}

TEST(SpokenText, ATakeAfterClearStartsAgain) {
  SpokenText s;
  s.add("one two", 0, 960, {});
  EXPECT_EQ(s.takeUpTo(960), "one two");
  s.clear();
  s.add("three four", 0, 960, {{0, 0}, {6, 480}});
  EXPECT_EQ(s.takeUpTo(1), "three");
  EXPECT_EQ(s.takeUpTo(481), " four");
}

}  // namespace
}  // namespace convox::voice

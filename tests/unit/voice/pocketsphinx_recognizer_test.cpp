#include "voice/pocketsphinx_recognizer.hpp"

#include <gtest/gtest.h>

#include <map>

#include "test_audio.hpp"
#include "voice/dialog_engine.hpp"
#include "voice/jsgf_grammar.hpp"
#include "voice/resampler.hpp"

namespace convox::voice {
namespace {

// The sentences tests/media/make_media.sh speaks.
const std::map<std::string, std::string> kPrompts = {
    {"hello.wav", "Hello there."},
    {"book_appointment.wav", "I would like to book an appointment for tomorrow at three p m."},
    {"opening_hours.wav", "What are your opening hours?"},
    {"speak_to_human.wav", "Can I speak to a human agent please?"},
    {"goodbye.wav", "Thank you, goodbye."},
    {"interrupt_stop.wav", "Wait, stop, stop."},
};

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

// 48 kHz prompt -> 16 kHz in 20 ms frames -> recogniser, as the worker does.
SttResult recognise(SpeechToText& stt, const std::string& name) {
  const auto pcm = test::media(name);
  std::string error;
  auto r = Resampler::create(pcm.sampleRate, 16000, error);
  EXPECT_TRUE(r) << error;
  std::vector<int16_t> out(r->maxOutputSamples(960));
  for (size_t at = 0; at + 960 <= pcm.samples.size(); at += 960) {
    const size_t n = r->process(std::span(pcm.samples).subspan(at, 960), out);
    stt.push(std::span(out).first(n));
  }
  return stt.finish();
}

std::vector<std::string> grammarPhrases() {
  std::vector<std::string> phrases;
  phrases.reserve(kPrompts.size() + 5);
  for (const auto& [file, text] : kPrompts) phrases.push_back(text);
  // Distractors close to the prompts.
  phrases.insert(phrases.end(), {"I would like to cancel my appointment", "What are your prices?",
                                 "Can I speak to the manager please?", "Hello?", "Stop."});
  return phrases;
}

TEST(PocketSphinxRecognizer, GrammarTranscribesEveryPromptExactly) {
  std::string error;
  auto stt = PocketSphinxRecognizer::create({.phrases = grammarPhrases()}, error);
  ASSERT_TRUE(stt) << error;
  EXPECT_TRUE(stt->droppedWords().empty()) << joined(stt->droppedWords());
  for (const auto& [file, text] : kPrompts) {
    const auto r = recognise(*stt, file);
    EXPECT_EQ(r.text, joined(normaliseWords(text))) << file;
    EXPECT_EQ(r.source, "grammar") << file;
    std::printf("%s: \"%s\" confidence %.3f (%s) %lld ms audio, %lld ms compute\n", file.c_str(), r.text.c_str(),
                r.confidence, r.source.c_str(), static_cast<long long>(r.audioMs), static_cast<long long>(r.computeMs));
    EXPECT_GE(r.confidence, 0.0);
    EXPECT_LE(r.confidence, 1.0);
    ASSERT_FALSE(r.words.empty());
    EXPECT_EQ(r.words.size(), normaliseWords(text).size()) << file;
    EXPECT_GE(r.words.front().startMs, 200) << file;  // after the 0.3 s lead-in, give or take
  }
}

TEST(PocketSphinxRecognizer, GenericModelHearsSomething) {
  std::string error;
  auto stt = PocketSphinxRecognizer::create({}, error);
  ASSERT_TRUE(stt) << error;
  EXPECT_FALSE(stt->hasGrammar());
  for (const auto& [file, text] : kPrompts) {
    const auto r = recognise(*stt, file);
    std::printf("%s: lm hears \"%s\" (confidence %.3f, %lld ms compute)\n", file.c_str(), r.text.c_str(), r.confidence,
                static_cast<long long>(r.computeMs));
    EXPECT_FALSE(r.text.empty()) << file;
    EXPECT_EQ(r.source, "lm");
  }
}

TEST(PocketSphinxRecognizer, SpeechOutsideTheGrammarFallsBackToTheLanguageModel) {
  std::string error;
  auto stt = PocketSphinxRecognizer::create(
      {.phrases = {"What are your opening hours?", "Thank you, goodbye.", "Hello there."}}, error);
  ASSERT_TRUE(stt) << error;
  // In the grammar: kept, with a confident grammar result.
  const auto inside = recognise(*stt, "opening_hours.wav");
  EXPECT_EQ(inside.text, "what are your opening hours");
  EXPECT_EQ(inside.source, "grammar");
  EXPECT_GE(inside.confidence, 0.5);
  // No grammar path at all: the language model's transcript.
  const auto noPath = recognise(*stt, "book_appointment.wav");
  EXPECT_EQ(noPath.source, "lm");
  EXPECT_FALSE(noPath.text.empty());
  // The grammar forces "what are your opening hours" onto this one, with a
  // poor score per frame: the language model's transcript replaces it.
  const auto forced = recognise(*stt, "speak_to_human.wav");
  EXPECT_EQ(forced.source, "lm");
  EXPECT_NE(forced.text, "what are your opening hours");
  std::printf("outside the grammar: book_appointment -> \"%s\", speak_to_human -> \"%s\"\n", noPath.text.c_str(),
              forced.text.c_str());
}

TEST(PocketSphinxRecognizer, WithoutFallbackTheGrammarAnswers) {
  std::string error;
  auto stt = PocketSphinxRecognizer::create(
      {.phrases = {"What are your opening hours?", "Hello there."}, .fallbackToLm = false}, error);
  ASSERT_TRUE(stt) << error;
  const auto forced = recognise(*stt, "speak_to_human.wav");
  EXPECT_EQ(forced.source, "grammar");
  EXPECT_LT(forced.confidence, 0.5);
}

TEST(PocketSphinxRecognizer, CapsTheUtteranceAndCancels) {
  std::string error;
  auto stt = PocketSphinxRecognizer::create({.phrases = {"Hello there."}, .maxUtteranceMs = 500}, error);
  ASSERT_TRUE(stt) << error;
  const std::vector<int16_t> frame(320, 0);
  int accepted = 0;
  while (stt->push(frame) && accepted < 100) ++accepted;
  EXPECT_EQ(accepted, 25);  // 25 frames of 20 ms fill 500 ms; the 26th push is cut
  stt->cancel();
  const auto r = stt->finish();  // nothing open after cancel
  EXPECT_TRUE(r.text.empty());
  EXPECT_EQ(r.audioMs, 0);
}

TEST(PocketSphinxRecognizer, ReportsDroppedWordsAndBadModels) {
  std::string error;
  auto stt = PocketSphinxRecognizer::create({.phrases = {"Hello Zyxwv there"}, .fallbackToLm = false}, error);
  ASSERT_TRUE(stt) << error;
  EXPECT_EQ(stt->droppedWords(), std::vector<std::string>{"zyxwv"});
  EXPECT_FALSE(PocketSphinxRecognizer::create({.modelDir = "/nonexistent"}, error));
  EXPECT_NE(error.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace convox::voice

namespace convox::voice {
namespace {

// What an agent on another model than the dialog engine (an LLM agent) is
// heard with: its keywords as the grammar over the general language model,
// or that model alone.
TEST(PocketSphinxRecognizer, AnLlmAgentIsHeardThroughItsKeywordsAndTheLanguageModel) {
  agent_config::AgentSettings agent;
  agent.llm.provider = "openai";
  EXPECT_TRUE(recognizerPhrases(agent).empty());
  std::string error;
  auto lmOnly = PocketSphinxRecognizer::create({.phrases = recognizerPhrases(agent)}, error);
  ASSERT_TRUE(lmOnly) << error;
  EXPECT_FALSE(lmOnly->hasGrammar());
  for (const auto& [file, text] : kPrompts) {
    const auto r = recognise(*lmOnly, file);
    std::printf("%s: no keywords -> \"%s\" (%s)\n", file.c_str(), r.text.c_str(), r.source.c_str());
    EXPECT_EQ(r.source, "lm") << file;
    EXPECT_FALSE(r.text.empty()) << file;
  }
  // The general model gets this one right as it streams; a grammar of the
  // small words (what a dialog agent has) forces it into "wait".
  EXPECT_EQ(recognise(*lmOnly, "opening_hours.wav").text, "what are your opening hours");

  agent.keywords = {"I would like to book an appointment for tomorrow at three p m", "What are your opening hours"};
  const auto phrases = recognizerPhrases(agent);
  EXPECT_EQ(phrases, agent.keywords);  // no small words
  auto withKeywords = PocketSphinxRecognizer::create({.phrases = phrases}, error);
  ASSERT_TRUE(withKeywords) << error;
  EXPECT_EQ(recognise(*withKeywords, "book_appointment.wav").text,
            "i would like to book an appointment for tomorrow at three p m");
  const auto outside = recognise(*withKeywords, "goodbye.wav");
  EXPECT_EQ(outside.source, "lm") << outside.text;
  std::printf("outside the keywords: goodbye -> \"%s\"\n", outside.text.c_str());

  // A dialog agent keeps the dialog's grammar with the small words.
  agent.llm.provider = "convox-dialog";
  EXPECT_EQ(recognizerPhrases(agent), dialogGrammarPhrases(agent));
  EXPECT_GT(recognizerPhrases(agent).size(), agent.keywords.size());
}

}  // namespace
}  // namespace convox::voice

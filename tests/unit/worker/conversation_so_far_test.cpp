// A re-dispatched job's view of the stored conversation: the history the
// model is seeded with, the results so far, where turn numbering goes on.

#include "conversation_so_far.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace convox::worker {
namespace {

namespace json = boost::json;

json::value conversation(const char* results = R"({"wants_appointment": true})") {
  return json::parse(std::string(R"({"id": "conv_1", "status": "in_progress", "results": )") + results + "}");
}

TEST(ConversationSoFar, StoredTurnsBecomeTheModelsHistoryInOrder) {
  const auto turns = json::parse(R"({"turns": [
    {"turn_id": "a1_x", "role": "agent", "text": "Welcome to the clinic.", "redacted": false},
    {"turn_id": "u2_y", "role": "user", "text": "book an appointment", "redacted": false},
    {"turn_id": "a3_z", "role": "agent", "text": "For when?", "redacted": false}]})");
  const auto soFar = conversationSoFar(conversation(), turns);
  ASSERT_TRUE(soFar) << soFar.error();
  ASSERT_EQ(soFar->history.size(), 3U);
  EXPECT_EQ(soFar->history[0].role, "assistant");
  EXPECT_EQ(soFar->history[0].content, "Welcome to the clinic.");
  EXPECT_EQ(soFar->history[1].role, "user");
  EXPECT_EQ(soFar->history[1].content, "book an appointment");
  EXPECT_EQ(soFar->history[2].role, "assistant");
  EXPECT_TRUE(soFar->resumed());
  EXPECT_EQ(soFar->turnsStored, 3U);
  EXPECT_EQ(soFar->lastTurnNumber, 3U);
  EXPECT_TRUE(soFar->unanswered.empty());  // the agent had the last word
  EXPECT_EQ(soFar->results.at("wants_appointment"), true);
}

TEST(ConversationSoFar, AUserTurnLeftUnansweredIsReported) {
  const auto turns = json::parse(R"({"turns": [
    {"turn_id": "a1_x", "role": "agent", "text": "Hello."},
    {"turn_id": "u2_y", "role": "user", "text": "what are your opening hours"}]})");
  const auto soFar = conversationSoFar(conversation("{}"), turns);
  ASSERT_TRUE(soFar) << soFar.error();
  EXPECT_EQ(soFar->unanswered, "what are your opening hours");
  EXPECT_TRUE(soFar->results.empty());
  EXPECT_TRUE(soFar->unansweredTimings.empty());  // none stored
}

TEST(ConversationSoFar, TheUnansweredTurnsTimingsComeWithIt) {
  const auto turns = json::parse(R"({"turns": [
    {"turn_id": "u1_w", "role": "user", "text": "hi", "timings": {"user_speech_start": 5}},
    {"turn_id": "a2_x", "role": "agent", "text": "Hello."},
    {"turn_id": "u3_y", "role": "user", "text": "what are your opening hours",
     "timings": {"user_speech_start": 100, "stt_final": 900}}]})");
  const auto soFar = conversationSoFar(conversation("{}"), turns);
  ASSERT_TRUE(soFar) << soFar.error();
  EXPECT_EQ(soFar->unansweredTimings.at("user_speech_start"), 100);
  EXPECT_EQ(soFar->unansweredTimings.at("stt_final"), 900);
}

TEST(ConversationSoFar, NumberingMovesPastTheHighestStoredNumberAndForeignIds) {
  // A turn the agent never finished left a gap (a5 was not stored); ids of another writer count too.
  auto soFar = conversationSoFar(conversation(), json::parse(R"({"turns": [
    {"turn_id": "u4_q", "role": "user", "text": "yes"},
    {"turn_id": "u6_r", "role": "user", "text": "tomorrow"}]})"));
  ASSERT_TRUE(soFar);
  EXPECT_EQ(soFar->lastTurnNumber, 6U);
  soFar = conversationSoFar(conversation(), json::parse(R"({"turns": [
    {"turn_id": "t-one", "role": "user", "text": "a"},
    {"turn_id": "t-two", "role": "agent", "text": "b"},
    {"turn_id": "u1_s", "role": "user", "text": "c"}]})"));
  ASSERT_TRUE(soFar);
  EXPECT_EQ(soFar->lastTurnNumber, 3U);
}

TEST(ConversationSoFar, TurnsStoredWithoutTextAreCountedButNotReplayed) {
  // privacy.no_logging: the API keeps no text; nothing can be replayed or answered.
  const auto soFar = conversationSoFar(conversation(), json::parse(R"({"turns": [
    {"turn_id": "a1_x", "role": "agent", "text": "", "redacted": true},
    {"turn_id": "u2_y", "role": "user", "text": "", "redacted": true}]})"));
  ASSERT_TRUE(soFar);
  EXPECT_TRUE(soFar->history.empty());
  EXPECT_TRUE(soFar->resumed());
  EXPECT_EQ(soFar->lastTurnNumber, 2U);
  EXPECT_TRUE(soFar->unanswered.empty());
}

TEST(ConversationSoFar, NoTurnsIsAFreshStart) {
  const auto soFar = conversationSoFar(conversation("{}"), json::parse(R"({"turns": []})"));
  ASSERT_TRUE(soFar);
  EXPECT_FALSE(soFar->resumed());
  EXPECT_EQ(soFar->lastTurnNumber, 0U);
}

TEST(ConversationSoFar, MalformedBodiesAreErrorsWithTheReason) {
  auto soFar = conversationSoFar(json::parse("[]"), json::parse(R"({"turns": []})"));
  ASSERT_FALSE(soFar);
  EXPECT_NE(soFar.error().find("not a JSON object"), std::string::npos) << soFar.error();
  soFar = conversationSoFar(conversation(), json::parse(R"({"items": []})"));
  ASSERT_FALSE(soFar);
  EXPECT_NE(soFar.error().find("\"turns\""), std::string::npos) << soFar.error();
  soFar = conversationSoFar(conversation(), json::parse(R"({"turns": [{"text": "no id"}]})"));
  ASSERT_FALSE(soFar);
  EXPECT_NE(soFar.error().find("turn_id"), std::string::npos) << soFar.error();
}

TEST(ConversationSoFar, TurnNumberReadsOnlyTheWorkersIds) {
  EXPECT_EQ(turnNumber("u12_abc"), 12U);
  EXPECT_EQ(turnNumber("a3_"), 3U);
  EXPECT_EQ(turnNumber("u_abc"), 0U);
  EXPECT_EQ(turnNumber("x12_abc"), 0U);
  EXPECT_EQ(turnNumber("u1x_abc"), 0U);
  EXPECT_EQ(turnNumber("u99999999999999999999999_a"), 0U);
  EXPECT_EQ(turnNumber(""), 0U);
}

}  // namespace
}  // namespace convox::worker

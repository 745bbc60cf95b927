// The history shaping Anthropic and Gemini share, and the tool call mapping
// every chat model uses.
#include "voice/chat_tools.hpp"

#include <gtest/gtest.h>

namespace convox::voice {
namespace {

TEST(AlternatingChat, SystemMessagesBecomeTheInstructionsAndTurnsAlternate) {
  const auto chat = alternatingChat({{"system", "Be kind.", ""},
                                     {"user", "Hi", ""},
                                     {"assistant", "", ""},  // an empty turn is dropped, not sent
                                     {"user", "Anyone?", ""},
                                     {"system", "Be brief.", ""},
                                     {"assistant", "Yes.", ""},
                                     {"tool", "{}", "call_7"}},
                                    "ignored: the history has its own");
  EXPECT_EQ(chat.system, "Be kind.\n\nBe brief.");
  ASSERT_EQ(chat.turns.size(), 3U);
  EXPECT_TRUE(chat.turns[0].fromUser);
  ASSERT_EQ(chat.turns[0].parts.size(), 2U);
  EXPECT_EQ(chat.turns[0].parts[1].text, "Anyone?");
  EXPECT_FALSE(chat.turns[1].fromUser);
  EXPECT_TRUE(chat.turns[2].fromUser);
  EXPECT_EQ(chat.turns[2].parts[0].toolCallId, "call_7");
}

TEST(AlternatingChat, TheAgentsPromptAndAUserTurnBeforeAGreeting) {
  const auto chat = alternatingChat({{"assistant", "Hello!", ""}, {"user", "Hi", ""}}, "You are Asha.");
  EXPECT_EQ(chat.system, "You are Asha.");
  ASSERT_EQ(chat.turns.size(), 3U);
  EXPECT_TRUE(chat.turns[0].fromUser);
  EXPECT_EQ(chat.turns[0].parts[0].text, kCallStartedText);
  EXPECT_EQ(chat.turns[1].parts[0].text, "Hello!");
  EXPECT_TRUE(alternatingChat({}, "").turns.empty());
}

TEST(ActionFromToolCall, PlatformNamesAndTheCallId) {
  const auto end = actionFromToolCall("end_call", {{"reason", "bye"}}, "c1");
  EXPECT_EQ(end.name, "end_call");
  EXPECT_EQ(end.arguments.at("tool_call_id"), "c1");
  const auto transfer = actionFromToolCall("transfer_to_human", {}, "");
  EXPECT_EQ(transfer.name, "transfer");
  EXPECT_EQ(transfer.arguments.at("target"), "");
  EXPECT_FALSE(transfer.arguments.contains("tool_call_id"));
  EXPECT_EQ(actionFromToolCall("book_slot", {}, "").name, "book_slot");
  ASSERT_EQ(platformTools().size(), 2U);
  EXPECT_EQ(toolArgumentsSchema(platformTools()[0]).at("properties").at("reason").at("type"), "string");
}

}  // namespace
}  // namespace convox::voice

#include "voice/dialog_engine.hpp"

#include "voice/dialog_matcher.hpp"

#include "agent_config/agent_settings.hpp"
#include "agent_config/validate.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <deque>
#include <fstream>
#include <sstream>

namespace convox::voice {
namespace {

boost::json::value demoDocument() {
  std::ifstream in(CONVOX_DEMO_AGENT_JSON);
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str());
}

agent_config::AgentSettings demoAgent() {
  auto result = agent_config::settingsFromDocument(demoDocument());
  EXPECT_TRUE(result.settings) << result.error;
  return result.settings.value_or(agent_config::AgentSettings{});
}

TEST(DemoAgentTest, TheDocumentIsValidUnderTheAgentSchema) {
  const auto errors = agent_config::validateDocument(demoDocument());
  for (const auto& e : errors) ADD_FAILURE() << e.field << ": " << e.message;
  const auto agent = demoAgent();
  EXPECT_FALSE(agent.firstMessage.inbound.empty());
  ASSERT_EQ(agent.results.size(), 3U);
  EXPECT_EQ(agent.results[0].name, "wants_appointment");
  EXPECT_GT(agent.timeouts.endAfterSilenceMs, 0);
}

// The test media's prompts (tests/media/make_media.sh) as the recogniser
// gives them, and the brief's variants: each reaches its intent.
TEST(DialogEngineTest, TheMediaPromptsRouteToTheirIntents) {
  DialogEngine engine(demoAgent(), {});
  const std::vector<std::pair<std::string, std::string>> cases{
      {"Hello", "greeting"},
      {"hello there", "greeting"},
      {"I would like to book an appointment for tomorrow morning", "book_appointment"},
      {"i would like to book an appointment for tomorrow at three p m", "book_appointment"},
      {"What are your opening hours", "opening_hours"},
      {"Can I speak to a human agent please", "speak_to_human"},
      {"Goodbye", "goodbye"},
      {"thank you goodbye", "goodbye"},
      {"stop", "pause"},
      {"wait stop stop", "pause"},
  };
  for (const auto& [text, intent] : cases) EXPECT_EQ(engine.decide(text).intent, intent) << text;
}

TEST(DialogEngineTest, BookingCapturesTheTimeAndCollectsResults) {
  DialogEngine engine(demoAgent(), {});
  const auto d = engine.decide("I would like to book an appointment for tomorrow at three p m.");
  ASSERT_EQ(d.intent, "book_appointment");
  EXPECT_EQ(d.slots.at("appointment_time"), "tomorrow at three p m");
  EXPECT_NE(d.text.find("noted your appointment request"), std::string::npos) << d.text;
  ASSERT_EQ(d.actions.size(), 1U);
  EXPECT_EQ(d.actions[0].name, "set_results");
  EXPECT_EQ(d.actions[0].arguments.at("wants_appointment"), true);
  EXPECT_EQ(d.actions[0].arguments.at("appointment_time"), "tomorrow at three p m");

  // Nothing after the keyword: no time captured, so no appointment_time field.
  const auto bare = engine.decide("I would like to book an appointment");
  ASSERT_EQ(bare.intent, "book_appointment");
  EXPECT_FALSE(bare.slots.contains("appointment_time"));
  ASSERT_EQ(bare.actions.size(), 1U);
  EXPECT_EQ(bare.actions[0].arguments.at("wants_appointment"), true);
  EXPECT_FALSE(bare.actions[0].arguments.contains("appointment_time"));
}

TEST(DialogEngineTest, ATextSlotWithoutAKeywordIsTheWholeUtterance) {
  agent_config::AgentSettings a;
  agent_config::DialogIntent note;
  note.name = "note";
  note.examples = {"leave a message"};
  note.slots = {{"message", "text"}};
  note.reply = "Noted: {{message}}.";
  a.dialog.intents = {note};
  DialogEngine engine(a, {});
  EXPECT_EQ(engine.decide("Leave a message, please").text, "Noted: leave a message.");
}

TEST(DialogEngineTest, HumanTransfersAndGoodbyeEndsTheCall) {
  DialogEngine engine(demoAgent(), {});
  const auto human = engine.decide("Can I speak to a human agent please?");
  ASSERT_EQ(human.actions.size(), 2U);
  EXPECT_EQ(human.actions[0].name, "set_results");
  EXPECT_EQ(human.actions[0].arguments.at("transferred"), true);
  EXPECT_EQ(human.actions[1].name, "transfer");
  EXPECT_EQ(human.actions[1].arguments.at("target"), "");
  const auto bye = engine.decide("Thank you, goodbye.");
  ASSERT_EQ(bye.actions.size(), 1U);
  EXPECT_EQ(bye.actions[0].name, "end_call");
  EXPECT_EQ(bye.text, "Thank you for calling. Goodbye!");
}

agent_config::AgentSettings smallAgent() {
  agent_config::AgentSettings a;
  agent_config::DialogIntent pay;
  pay.name = "pay";
  pay.keywords = {"pay", "payment"};
  pay.reply = "Thanks {{customer_name}}, {{amount}} rupees it is.";
  pay.slots = {{"amount", "number"}};
  pay.action = "collect";
  pay.setResults = {{"will_pay", true}};
  agent_config::DialogIntent account;
  account.name = "account";
  account.keywords = {"account number"};
  account.reply = "Account {{account}}.";
  account.slots = {{"account", "digits"}};
  account.action = "collect";
  agent_config::DialogIntent confirm;
  confirm.name = "confirm";
  confirm.examples = {"yes that is right", "no that is wrong"};
  confirm.reply = "Noted.";
  confirm.slots = {{"answer", "yes_no"}};
  confirm.setResults = {{"confirmed", "{{answer}}"}};
  a.dialog.intents = {pay, account, confirm};
  a.dialog.fallbackReply = "Sorry {{customer_name}}?";
  a.dialog.maxFallbacks = 2;
  a.dialog.afterMaxFallbacks = "end_call";
  return a;
}

TEST(DialogEngineTest, SlotsOfEveryTypeAndParametersInReplies) {
  DialogEngine engine(smallAgent(), {{"customer_name", "Asha"}});
  auto pay = engine.decide("I can pay twenty five hundred");
  ASSERT_EQ(pay.intent, "pay");
  EXPECT_EQ(pay.slots.at("amount"), "2500");
  EXPECT_EQ(pay.text, "Thanks Asha, 2500 rupees it is.");
  ASSERT_EQ(pay.actions.size(), 1U);
  EXPECT_EQ(pay.actions[0].arguments.at("will_pay"), true);
  EXPECT_EQ(pay.actions[0].arguments.at("amount"), 2500);  // a number slot stays a number
  EXPECT_EQ(engine.decide("make a payment of 300 please").slots.at("amount"), "300");
  EXPECT_EQ(engine.decide("my account number is four oh 7 two").slots.at("account"), "4072");
  auto yes = engine.decide("yes that's right");
  ASSERT_EQ(yes.intent, "confirm");
  EXPECT_EQ(yes.actions.at(0).arguments.at("confirmed"), true);
  auto no = engine.decide("no that is wrong");
  EXPECT_EQ(no.actions.at(0).arguments.at("confirmed"), false);
}

TEST(DialogEngineTest, BestScoreWinsAndTiesGoToTheFirstIntent) {
  agent_config::AgentSettings a;
  auto intent = [](std::string name, std::vector<std::string> keywords) {
    agent_config::DialogIntent i;
    i.name = std::move(name);
    i.keywords = std::move(keywords);
    return i;
  };
  const auto first = intent("first", {"card"});
  const auto second = intent("second", {"card"});
  const auto third = intent("third", {"card", "lost"});
  a.dialog.intents = {first, second, third};
  DialogEngine engine(a, {});
  EXPECT_EQ(engine.decide("my card").intent, "first");
  EXPECT_EQ(engine.decide("i lost my card").intent, "third");
  size_t after = 0;
  EXPECT_DOUBLE_EQ(dialog::intentScore(third, {"i", "lost", "my", "card"}, after), 2.0);
  EXPECT_EQ(after, 4U);
}

TEST(DialogEngineTest, FallbacksThenTheAfterMaxFallbacksAction) {
  DialogEngine engine(smallAgent(), {{"customer_name", "Asha"}});
  auto f1 = engine.decide("what is the weather");
  EXPECT_EQ(f1.intent, "");
  EXPECT_EQ(f1.text, "Sorry Asha?");
  EXPECT_TRUE(f1.actions.empty());
  // A match resets the count: the next miss is a first fallback again.
  EXPECT_EQ(engine.decide("I will pay").intent, "pay");
  EXPECT_TRUE(engine.decide("hmm").actions.empty());
  auto f2 = engine.decide("the weather again");
  ASSERT_EQ(f2.actions.size(), 1U);
  EXPECT_EQ(f2.actions[0].name, "end_call");
  EXPECT_EQ(f2.actions[0].arguments.at("reason"), "max_fallbacks");
}

TEST(DialogEngineTest, ReplyStreamsDeltasThenActionsThenDoneSynchronously) {
  DialogEngine engine(demoAgent(), {});
  std::vector<std::string> events;
  std::string text;
  ModelUsage usage;
  ReplyCallbacks cb;
  cb.onText = [&](std::string_view d) {
    text += d;
    events.emplace_back("text");
  };
  cb.onAction = [&](const ModelAction& a) { events.push_back("action " + a.name); };
  cb.onDone = [&](const ModelUsage& u, const std::string& e) {
    usage = u;
    events.push_back("done " + e);
  };
  engine.reply({{"system", "ignored", ""}, {"user", "Thank you, goodbye.", ""}}, cb);
  EXPECT_EQ(text, "Thank you for calling. Goodbye!");
  ASSERT_GE(events.size(), 3U);
  EXPECT_EQ(events[events.size() - 2], "action end_call");
  EXPECT_EQ(events.back(), "done ");
  EXPECT_EQ(usage.provider, "convox-dialog");
  EXPECT_EQ(usage.inputTokens, 3);
  EXPECT_EQ(usage.outputTokens, 5);
}

TEST(DialogEngineTest, PostedRepliesNeverCallBackAfterCancel) {
  std::deque<std::function<void()>> queue;
  DialogEngine engine(demoAgent(), {}, [&](std::function<void()> f) { queue.push_back(std::move(f)); });
  std::string text;
  int done = 0;
  ReplyCallbacks cb;
  cb.onText = [&](std::string_view d) { text += d; };
  cb.onDone = [&](const ModelUsage&, const std::string&) { ++done; };
  engine.reply({{"user", "What are your opening hours?", ""}}, cb);
  EXPECT_TRUE(text.empty());  // nothing before the posted task runs
  ASSERT_EQ(queue.size(), 1U);
  queue.front()();
  queue.pop_front();
  const std::string first = text;
  EXPECT_FALSE(first.empty());
  engine.cancel();
  while (!queue.empty()) {
    queue.front()();
    queue.pop_front();
  }
  EXPECT_EQ(text, first);
  EXPECT_EQ(done, 0);

  // Uncancelled, the posted reply runs to the end.
  engine.reply({{"user", "What are your opening hours?", ""}}, cb);
  while (!queue.empty()) {
    queue.front()();
    queue.pop_front();
  }
  EXPECT_EQ(done, 1);
  EXPECT_NE(text.find("We are open Monday to Friday"), std::string::npos);
}

TEST(DialogEngineTest, NoUserMessageIsAnError) {
  DialogEngine engine(demoAgent(), {});
  std::string error;
  ReplyCallbacks cb;
  cb.onDone = [&](const ModelUsage&, const std::string& e) { error = e; };
  engine.reply({{"system", "x", ""}}, cb);
  EXPECT_EQ(error, "dialog: the history has no user message to answer");
}

TEST(DialogEngineTest, DeltasAreWordGroupsThatRebuildTheText) {
  const std::string text = "We are open  Monday to Friday, from nine to five.";
  const auto deltas = splitIntoDeltas(text, 3);
  std::string joined;
  for (const auto& d : deltas) joined += d;
  EXPECT_EQ(joined, text);
  EXPECT_EQ(deltas.size(), 4U);
  EXPECT_EQ(deltas[0], "We are open  ");
  EXPECT_TRUE(splitIntoDeltas("").empty());
}

TEST(DialogEngineTest, GrammarPhrasesHoldExamplesKeywordsAndCommonWords) {
  const auto phrases = dialogGrammarPhrases(demoAgent());
  auto has = [&](const std::string& p) { return std::find(phrases.begin(), phrases.end(), p) != phrases.end(); };
  EXPECT_TRUE(has("can I speak to a human agent please"));
  EXPECT_TRUE(has("opening hours"));
  EXPECT_TRUE(has("yes"));
  EXPECT_TRUE(has("no"));
  EXPECT_TRUE(has("goodbye"));
  EXPECT_TRUE(has("thank you"));
  EXPECT_EQ(std::count(phrases.begin(), phrases.end(), "goodbye"), 1);
}

}  // namespace
}  // namespace convox::voice

// AnthropicChatModel against a local server speaking the Messages API's
// streaming wire format (typed SSE events, `event:` and `data:` lines), which
// checks what the client sends: the key and version headers, the top-level
// system, alternating turns and the tools' input_schema.
#include "voice/anthropic_chat_model.hpp"

#include "chat_completions_server.hpp"
#include "chat_model_test_support.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <optional>

namespace convox::voice {
namespace {

using std::chrono::milliseconds;
using testing::AfterScript;
using testing::ChatCompletionsServer;
using testing::eventStreamHead;
using testing::httpChunk;
using testing::kLastChunk;

constexpr const char* kKey = "sk-ant-test-secret-789";

std::string event(std::string_view type, std::string_view data) {
  return "event: " + std::string(type) + "\ndata: " + std::string(data) + "\n\n";
}
const std::string kMessageStart = event(
    "message_start",
    R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],)"
    R"("model":"claude-haiku-4-5-20251001","stop_reason":null,"stop_sequence":null,)"
    R"("usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}})");
std::string textDelta(int index, std::string_view text) {
  return event("content_block_delta", R"({"type":"content_block_delta","index":)" + std::to_string(index) +
                                          R"(,"delta":{"type":"text_delta","text":")" + std::string(text) + R"("}})");
}
std::string blockStop(int index) {
  return event("content_block_stop", R"({"type":"content_block_stop","index":)" + std::to_string(index) + "}");
}
std::string messageDelta(std::string_view stopReason, int outputTokens) {
  return event("message_delta", R"({"type":"message_delta","delta":{"stop_reason":")" + std::string(stopReason) +
                                    R"(","stop_sequence":null},"usage":{"output_tokens":)" +
                                    std::to_string(outputTokens) + "}}");
}
const std::string kMessageStop = event("message_stop", R"({"type":"message_stop"})");
const std::string kTextStart = event(
    "content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");

using Outcome = testing::ReplyOutcome;

class AnthropicChatModelTest : public ::testing::Test {
 protected:
  AnthropicChatSettings settingsFor(const ChatCompletionsServer& server) {
    AnthropicChatSettings s;
    s.baseUrl = server.baseUrl();
    s.baseUrl.resize(s.baseUrl.size() - 3);  // the API root, without /v1
    s.apiKey = kKey;
    s.model = "claude-haiku-4-5";
    s.temperature = 0.4;
    s.connectTimeout = milliseconds(3000);
    s.idleTimeout = milliseconds(3000);
    return s;
  }

  ReplyCallbacks callbacksInto(Outcome& out) { return testing::collectInto(out, io_); }
  Outcome replyWith(AnthropicChatSettings settings) {
    return testing::replyOnce<AnthropicChatModel>(io_, std::move(settings), history_);
  }

  std::string errorFrom(int status, std::string_view reason, std::string_view body, std::string_view extraHead = "") {
    std::string response = testing::jsonResponse(status, reason, body);
    response.insert(response.find("\r\n") + 2, extraHead);
    ChatCompletionsServer server(io_, {{response}}, AfterScript::kClose);
    return replyWith(settingsFor(server)).error.value_or("not done");
  }

  // The greeting first, two user messages in a row, a tool result.
  const std::vector<ChatMessage> history_{{"system", "You are a receptionist.", ""},
                                          {"assistant", "Hello, Convox Clinic.", ""},
                                          {"user", "Hi.", ""},
                                          {"user", "I need an appointment.", ""},
                                          {"assistant", "Let me check.", ""},
                                          {"tool", "{\"slots\":[\"9:00\"]}", "toolu_01"},
                                          {"user", "Is nine free?", ""}};
  boost::asio::io_context io_;
};

TEST_F(AnthropicChatModelTest, StreamsTextAndAToolUseAssembledAcrossDeltas) {
  const std::string toolStart =
      event("content_block_start", R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use",)"
                                   R"("id":"toolu_9","name":"end_call","input":{}}})");
  const std::string json1 = event("content_block_delta", R"({"type":"content_block_delta","index":1,)"
                                                         R"("delta":{"type":"input_json_delta","partial_json":""}})");
  const std::string json2 =
      event("content_block_delta", R"({"type":"content_block_delta","index":1,)"
                                   R"("delta":{"type":"input_json_delta","partial_json":"{\"reason\": \"bye"}})");
  const std::string json3 =
      event("content_block_delta", R"({"type":"content_block_delta","index":1,)"
                                   R"("delta":{"type":"input_json_delta","partial_json":"\"}"}})");
  const std::string hello = httpChunk(textDelta(0, "Yes, nine"));
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(kMessageStart + kTextStart)},
                                {httpChunk(event("ping", R"({"type": "ping"})")), milliseconds(10)},
                                // A chunk split inside its data line.
                                {hello.substr(0, 40), milliseconds(10)},
                                {hello.substr(40), milliseconds(10)},
                                {httpChunk(textDelta(0, " is free. Goodbye!") + blockStop(0)), milliseconds(10)},
                                {httpChunk(toolStart + json1 + json2), milliseconds(10)},
                                {httpChunk(json3 + blockStop(1) + messageDelta("tool_use", 31)), milliseconds(10)},
                                {httpChunk(kMessageStop) + std::string(kLastChunk)}},
                               AfterScript::kHold);
  auto out = replyWith(settingsFor(server));
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Yes, nine is free. Goodbye!");
  ASSERT_EQ(out.actions.size(), 1U);
  EXPECT_EQ(out.actions[0].name, "end_call");
  EXPECT_EQ(out.actions[0].arguments.at("reason"), "bye");
  EXPECT_EQ(out.actions[0].arguments.at("tool_call_id"), "toolu_9");
  EXPECT_EQ(out.usage.inputTokens, 25);
  EXPECT_EQ(out.usage.outputTokens, 31);
  EXPECT_EQ(out.usage.model, "claude-haiku-4-5-20251001");
  EXPECT_EQ(out.usage.provider, "anthropic");
  EXPECT_GE(out.usage.firstTokenMs, 0);
  EXPECT_EQ(out.doneCalls, 1);

  const auto& req = server.request();
  EXPECT_EQ(req.rfind("POST /v1/messages HTTP/1.1\r\n", 0), 0U) << req;
  EXPECT_NE(req.find(std::string("x-api-key: ") + kKey + "\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("anthropic-version: 2023-06-01\r\n"), std::string::npos) << req;
  EXPECT_EQ(req.find("Authorization"), std::string::npos) << req;
  const auto body = boost::json::parse(req.substr(req.find("\r\n\r\n") + 4)).as_object();
  EXPECT_EQ(body.at("model"), "claude-haiku-4-5");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("max_tokens"), 1024);  // required; the default when the agent sets none
  EXPECT_DOUBLE_EQ(body.at("temperature").to_number<double>(), 0.4);
  EXPECT_EQ(body.at("system"), "You are a receptionist.");
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 5U) << boost::json::serialize(messages);
  EXPECT_EQ(messages[0].at("role"), "user");  // the API wants the user first
  EXPECT_EQ(messages[1].at("role"), "assistant");
  EXPECT_EQ(messages[1].at("content"), "Hello, Convox Clinic.");
  EXPECT_EQ(messages[2].at("role"), "user");  // the two user messages merged
  ASSERT_TRUE(messages[2].at("content").is_array());
  EXPECT_EQ(messages[2].at("content").as_array()[0].at("text"), "Hi.");
  EXPECT_EQ(messages[2].at("content").as_array()[1].at("text"), "I need an appointment.");
  EXPECT_EQ(messages[3].at("role"), "assistant");
  EXPECT_EQ(messages[4].at("role"), "user");
  const auto& result = messages[4].at("content").as_array();
  ASSERT_EQ(result.size(), 2U);
  EXPECT_EQ(result[0].at("type"), "tool_result");
  EXPECT_EQ(result[0].at("tool_use_id"), "toolu_01");
  EXPECT_EQ(result[1].at("text"), "Is nine free?");
  const auto& tools = body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 2U);
  EXPECT_EQ(tools[0].at("name"), "end_call");
  EXPECT_EQ(tools[0].at("input_schema").at("type"), "object");
  EXPECT_EQ(tools[1].at("name"), "transfer_to_human");
}

TEST_F(AnthropicChatModelTest, TheAgentsMaxTokensAndPromptWhenTheHistoryHasNoSystem) {
  AnthropicChatSettings s;
  s.maxTokens = 200;
  s.systemPrompt = "Be brief.";
  s.offerTools = false;
  const AnthropicChatModel model(io_, s);
  const auto body = boost::json::parse(model.requestBody({{"user", "Hi", ""}})).as_object();
  EXPECT_EQ(body.at("max_tokens"), 200);
  EXPECT_EQ(body.at("system"), "Be brief.");
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("temperature"));
  ASSERT_EQ(body.at("messages").as_array().size(), 1U);
  EXPECT_EQ(body.at("messages").as_array()[0].at("content"), "Hi");
}

TEST_F(AnthropicChatModelTest, UnauthorizedNamesTheStatusAndTheTypeButNeverTheKey) {
  const auto error =
      errorFrom(401, "Unauthorized",
                std::string(R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key )") +
                    kKey + R"("},"request_id":"req_1"})");
  EXPECT_NE(error.find("anthropic: HTTP 401: authentication_error: invalid x-api-key"), std::string::npos) << error;
  EXPECT_EQ(error.find(kKey), std::string::npos) << error;
}

TEST_F(AnthropicChatModelTest, RateLimitCarriesRetryAfter) {
  EXPECT_EQ(errorFrom(429, "Too Many Requests",
                      R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens )"
                      R"(has exceeded your per-minute rate limit"}})",
                      "retry-after: 17\r\nanthropic-ratelimit-requests-remaining: 0\r\n"),
            "anthropic: HTTP 429 (retry after 17 s): rate_limit_error: Number of request tokens has exceeded your "
            "per-minute rate limit");
}

TEST_F(AnthropicChatModelTest, OverloadedAndServerErrors) {
  EXPECT_EQ(
      errorFrom(529, "Overloaded", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"),
      "anthropic: HTTP 529: overloaded_error: Overloaded");
  io_.restart();
  EXPECT_EQ(errorFrom(500, "Internal Server Error",
                      R"({"type":"error","error":{"type":"api_error","message":"Internal server error"}})"),
            "anthropic: HTTP 500: api_error: Internal server error");
}

TEST_F(AnthropicChatModelTest, AnErrorEventMidStreamAfterThePartialText) {
  ChatCompletionsServer server(
      io_,
      {{eventStreamHead() + httpChunk(kMessageStart + kTextStart + textDelta(0, "One mo"))},
       {httpChunk(event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})")),
        milliseconds(10)}},
      AfterScript::kHold);
  auto out = replyWith(settingsFor(server));
  EXPECT_EQ(out.text, "One mo");
  EXPECT_EQ(out.error.value_or(""), "anthropic: the server reported an error mid-stream: overloaded_error: Overloaded");
  EXPECT_EQ(out.usage.inputTokens, 25);
}

TEST_F(AnthropicChatModelTest, AStalledStreamTimesOut) {
  ChatCompletionsServer server(io_, {{eventStreamHead() + httpChunk(kMessageStart + kTextStart + textDelta(0, "Hm"))}},
                               AfterScript::kHold);
  auto settings = settingsFor(server);
  settings.idleTimeout = milliseconds(300);
  auto out = replyWith(settings);
  EXPECT_EQ(out.text, "Hm");
  EXPECT_EQ(out.error.value_or(""), "anthropic: timeout: no data for 300 ms");
}

TEST_F(AnthropicChatModelTest, AConnectionCutMidStream) {
  ChatCompletionsServer server(io_, {{eventStreamHead() + httpChunk(kMessageStart + kTextStart + textDelta(0, "Hel"))}},
                               AfterScript::kClose);
  auto out = replyWith(settingsFor(server));
  EXPECT_EQ(out.text, "Hel");
  EXPECT_EQ(out.error.value_or(""), "anthropic: read: the connection closed before the response ended");
}

TEST_F(AnthropicChatModelTest, ABodyEndingBeforeMessageStopIsAnError) {
  ChatCompletionsServer server(
      io_, {{eventStreamHead() + httpChunk(kMessageStart + kTextStart + textDelta(0, "Hi")) + std::string(kLastChunk)}},
      AfterScript::kClose);
  auto out = replyWith(settingsFor(server));
  EXPECT_EQ(out.error.value_or(""), "anthropic: the stream ended before message_stop");
}

TEST_F(AnthropicChatModelTest, MalformedEventsAreErrors) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(kMessageStart + event("content_block_delta", "{oops"))}},
                               AfterScript::kHold);
  EXPECT_EQ(replyWith(settingsFor(server)).error.value_or(""), "anthropic: a stream event is not a JSON object");

  // Tool input that never becomes a JSON object.
  io_.restart();
  ChatCompletionsServer bad(
      io_,
      {{eventStreamHead() +
        httpChunk(kMessageStart +
                  event("content_block_start", R"({"type":"content_block_start","index":0,"content_block":)"
                                               R"({"type":"tool_use","id":"toolu_2","name":"end_call","input":{}}})") +
                  event("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":)"
                                               R"({"type":"input_json_delta","partial_json":"{\"reason\":"}})") +
                  blockStop(0) + messageDelta("tool_use", 5) + kMessageStop)}},
      AfterScript::kHold);
  auto out = replyWith(settingsFor(bad));
  EXPECT_EQ(out.error.value_or(""), "anthropic: tool_use end_call: the arguments are not a JSON object");
  EXPECT_TRUE(out.actions.empty());
}

TEST_F(AnthropicChatModelTest, CancelMidStreamClosesTheConnectionAndNothingFollows) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(kMessageStart + kTextStart + textDelta(0, "Hello"))},
                                {httpChunk(textDelta(0, " again")), milliseconds(100)}},
                               AfterScript::kHold);
  AnthropicChatModel model(io_, settingsFor(server));
  Outcome out;
  auto cb = callbacksInto(out);
  cb.onText = [&](std::string_view d) {
    out.text += d;
    model.cancel();  // barge-in
  };
  model.reply(history_, cb);
  boost::asio::steady_timer until(io_, milliseconds(500));
  until.async_wait([&](auto) { io_.stop(); });
  io_.run_for(milliseconds(5000));
  EXPECT_EQ(out.text, "Hello");
  EXPECT_EQ(out.doneCalls, 0);
  EXPECT_TRUE(server.clientClosed());
}

// A reply cut by barge-in: Anthropic sent its input tokens first, so that
// count is the provider's; the output (message_start's output_tokens is a
// placeholder 1, the real count comes only in message_delta) is estimated
// from the streamed text, and only it is marked so.
TEST_F(AnthropicChatModelTest, ACutReplyKeepsTheStreamsInputCountAndEstimatesOnlyItsOutput) {
  ChatCompletionsServer server(
      io_, {{eventStreamHead() + httpChunk(kMessageStart + kTextStart + textDelta(0, "Yes, nine is free"))}},
      AfterScript::kHold);
  auto settings = settingsFor(server);
  std::vector<ProviderUsage> cut;
  settings.cutReplyUsage = [&cut](const ProviderUsage& u) { cut.push_back(u); };
  AnthropicChatModel model(io_, settings);
  Outcome out;
  auto cb = callbacksInto(out);
  cb.onText = [&](std::string_view) {
    model.cancel();  // barge-in
    io_.stop();
  };
  model.reply(history_, cb);
  io_.run_for(milliseconds(5000));
  EXPECT_EQ(out.doneCalls, 0);
  ASSERT_EQ(cut.size(), 2U);
  EXPECT_EQ(cut[0].unit, "input_tokens");
  EXPECT_EQ(cut[0].quantity, 25);  // message_start's count
  EXPECT_FALSE(cut[0].estimated);
  EXPECT_EQ(cut[0].model, "claude-haiku-4-5-20251001");
  EXPECT_EQ(cut[1].unit, "output_tokens");
  EXPECT_EQ(cut[1].quantity, 5);  // ceil(17 bytes / 4), not the placeholder 1
  EXPECT_TRUE(cut[1].estimated);
}

// A complete reply's counts are all the server's.
TEST_F(AnthropicChatModelTest, ACompleteReplysUsageIsNotEstimated) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() +
                                 httpChunk(kMessageStart + kTextStart + textDelta(0, "Yes.") + blockStop(0) +
                                           messageDelta("end_turn", 2) + kMessageStop) +
                                 std::string(kLastChunk)}},
                               AfterScript::kHold);
  auto out = replyWith(settingsFor(server));
  ASSERT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.usage.inputTokens, 25);
  EXPECT_EQ(out.usage.outputTokens, 2);
  EXPECT_FALSE(out.usage.inputEstimated);
  EXPECT_FALSE(out.usage.outputEstimated);
}

}  // namespace
}  // namespace convox::voice

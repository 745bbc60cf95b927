#include "voice/openai_chat_model.hpp"

#include "chat_completions_server.hpp"
#include "chat_model_test_support.hpp"
#include "voice/chat_stream.hpp"
#include "voice/chat_stream_decoder.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

#include <cmath>
#include <fstream>
#include <optional>

namespace convox::voice {
namespace {

using std::chrono::milliseconds;
using testing::AfterScript;
using testing::ChatCompletionsServer;
using testing::eventStreamHead;
using testing::httpChunk;
using testing::kLastChunk;
using testing::sseEvent;

constexpr const char* kKey = "sk-test-secret-key-123";

std::string contentChunk(std::string_view text) {
  return R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024",)"
         R"("choices":[{"index":0,"delta":{"content":")" +
         std::string(text) + R"("},"logprobs":null,"finish_reason":null}],"usage":null})";
}
const std::string kRoleChunk =
    R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024",)"
    R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})";
std::string finishChunk(std::string_view reason) {
  return R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":")" +
         std::string(reason) + R"("}]})";
}
const std::string kUsageChunk = R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],)"
                                R"("usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})";

using Outcome = testing::ReplyOutcome;

class OpenAiChatModelTest : public ::testing::Test {
 protected:
  OpenAiChatSettings settingsFor(const ChatCompletionsServer& server) {
    OpenAiChatSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = kKey;
    s.model = "gpt-4o-mini";
    s.temperature = 0.3;
    s.maxTokens = 150;
    s.connectTimeout = milliseconds(2000);
    s.idleTimeout = milliseconds(2000);
    return s;
  }

  ReplyCallbacks callbacksInto(Outcome& out) { return testing::collectInto(out, io_); }

  // Runs until onDone stops the io_context (or the safety limit).
  void run(milliseconds limit = milliseconds(5000)) { io_.run_for(limit); }

  const std::vector<ChatMessage> history_{{"system", "You are a receptionist.", ""}, {"user", "Hello", ""}};
  boost::asio::io_context io_;
};

TEST_F(OpenAiChatModelTest, StreamsTextDeltasSplitAcrossWritesAndReportsUsage) {
  const std::string hello = httpChunk(sseEvent(contentChunk("Hello")));
  const std::string rest = httpChunk(sseEvent(contentChunk(" there")) + sseEvent(contentChunk("!")));
  ChatCompletionsServer server(io_,
                               {{eventStreamHead()},
                                {httpChunk(sseEvent(kRoleChunk))},
                                // One chunk split inside its size line, another inside its data line.
                                {hello.substr(0, 1), milliseconds(20)},
                                {hello.substr(1, 20), milliseconds(20)},
                                {hello.substr(21), milliseconds(20)},
                                {rest.substr(0, rest.size() / 2), milliseconds(20)},
                                {rest.substr(rest.size() / 2), milliseconds(20)},
                                {httpChunk(sseEvent(finishChunk("stop")) + sseEvent(kUsageChunk))},
                                {httpChunk(sseEvent("[DONE]")) + std::string(kLastChunk)}},
                               AfterScript::kHold);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(*out.error, "");
  EXPECT_EQ(out.text, "Hello there!");
  EXPECT_EQ(out.deltas, (std::vector<std::string>{"Hello", " there", "!"}));
  EXPECT_TRUE(out.actions.empty());
  EXPECT_EQ(out.usage.inputTokens, 12);
  EXPECT_EQ(out.usage.outputTokens, 3);
  EXPECT_EQ(out.usage.model, "gpt-4o-mini-2024");
  EXPECT_EQ(out.usage.provider, "openai");
  EXPECT_GE(out.usage.firstTokenMs, 0);
  EXPECT_EQ(out.doneCalls, 1);

  // The request as the server saw it.
  const auto& req = server.request();
  EXPECT_EQ(req.rfind("POST /v1/chat/completions HTTP/1.1\r\n", 0), 0U) << req;
  EXPECT_NE(req.find(std::string("Authorization: Bearer ") + kKey), std::string::npos);
  const auto body = boost::json::parse(req.substr(req.find("\r\n\r\n") + 4)).as_object();
  EXPECT_EQ(body.at("model"), "gpt-4o-mini");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
  EXPECT_DOUBLE_EQ(body.at("temperature").to_number<double>(), 0.3);
  EXPECT_EQ(body.at("max_tokens"), 150);
  ASSERT_EQ(body.at("messages").as_array().size(), 2U);
  EXPECT_EQ(body.at("messages").as_array()[0].at("role"), "system");
  EXPECT_EQ(body.at("messages").as_array()[1].at("content"), "Hello");
  const auto& tools = body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 2U);
  EXPECT_EQ(tools[0].at("function").at("name"), "end_call");
  EXPECT_EQ(tools[1].at("function").at("name"), "transfer_to_human");
}

TEST_F(OpenAiChatModelTest, TheAgentsSystemPromptLeadsTheMessages) {
  OpenAiChatSettings settings;
  settings.systemPrompt = "You are the receptionist of Convox Clinic.";
  const OpenAiChatModel model(io_, settings);
  // The cascade's history has no system message: the prompt comes first.
  const std::vector<ChatMessage> history{
      {"assistant", "Hello, how can I help?", ""}, {"user", "Book me in", ""}, {"assistant", "When?", ""}};
  const auto body = boost::json::parse(model.requestBody(history)).as_object();
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 4U);
  EXPECT_EQ(messages[0].at("role"), "system");
  EXPECT_EQ(messages[0].at("content"), "You are the receptionist of Convox Clinic.");
  EXPECT_EQ(messages[1].at("content"), "Hello, how can I help?");
  EXPECT_EQ(messages[3].at("content"), "When?");
  // A history that brings its own system message keeps it alone.
  const auto own = boost::json::parse(model.requestBody(history_)).as_object();
  ASSERT_EQ(own.at("messages").as_array().size(), 2U);
  EXPECT_EQ(own.at("messages").as_array()[0].at("content"), "You are a receptionist.");
}

TEST_F(OpenAiChatModelTest, NoAuthorizationHeaderWithoutAKey) {
  ChatCompletionsServer server(
      io_,
      {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hi")) + sseEvent("[DONE]")) + std::string(kLastChunk)}},
      AfterScript::kClose);
  auto settings = settingsFor(server);
  settings.apiKey.clear();
  settings.offerTools = false;
  OpenAiChatModel model(io_, settings);
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Hi");
  EXPECT_EQ(server.request().find("Authorization"), std::string::npos);
  EXPECT_EQ(server.request().find("\"tools\""), std::string::npos);
}

TEST_F(OpenAiChatModelTest, AssemblesToolCallsSplitOverSeveralChunks) {
  const std::string first =
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1",)"
      R"("type":"function","function":{"name":"end_call","arguments":""}}]},"finish_reason":null}]})";
  const std::string piece1 =
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"rea"}}]},"finish_reason":null}]})";
  const std::string piece2 =
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"son\":\"the user said goodbye\"}"}}]},"finish_reason":null}]})";
  // A second call in one piece, as Ollama sends them.
  const std::string whole =
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function",)"
      R"("function":{"name":"transfer_to_human","arguments":"{}"}}]},"finish_reason":null}]})";
  const std::string p1 = httpChunk(sseEvent(piece1));
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Goodbye!")))},
                                {httpChunk(sseEvent(first)), milliseconds(10)},
                                {p1.substr(0, 30), milliseconds(10)},
                                {p1.substr(30), milliseconds(10)},
                                {httpChunk(sseEvent(piece2)), milliseconds(10)},
                                {httpChunk(sseEvent(whole)), milliseconds(10)},
                                {httpChunk(sseEvent(finishChunk("tool_calls")) + sseEvent("[DONE]"))}},
                               AfterScript::kHold);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Goodbye!");
  ASSERT_EQ(out.actions.size(), 2U);
  EXPECT_EQ(out.actions[0].name, "end_call");
  EXPECT_EQ(out.actions[0].arguments.at("reason"), "the user said goodbye");
  EXPECT_EQ(out.actions[0].arguments.at("tool_call_id"), "call_1");
  EXPECT_EQ(out.actions[1].name, "transfer");
  EXPECT_EQ(out.actions[1].arguments.at("target"), "");
  EXPECT_EQ(out.toolCallStarts, 1);
}

// A reply that is only a tool call: its first part is the model's first
// token (a fallback's timeout and the turn's TTFT read it).
TEST_F(OpenAiChatModelTest, AReplyThatIsOnlyAToolCallStartsWithItsFirstPart) {
  const std::string call =
      R"({"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1",)"
      R"("type":"function","function":{"name":"end_call","arguments":"{}"}}]},"finish_reason":null}]})";
  ChatCompletionsServer server(
      io_,
      {{eventStreamHead() + httpChunk(sseEvent(call))},
       {httpChunk(sseEvent(finishChunk("tool_calls")) + sseEvent("[DONE]")), milliseconds(30)}},
      AfterScript::kHold);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(out.toolCallStarts, 1);
  ASSERT_EQ(out.actions.size(), 1U);
  EXPECT_GE(out.usage.firstTokenMs, 0);
}

TEST_F(OpenAiChatModelTest, ServerErrorNamesTheStatusAndTheMessage) {
  ChatCompletionsServer server(
      io_,
      {{testing::jsonResponse(500, "Internal Server Error",
                              R"({"error":{"message":"The server had an error while processing your request.",)"
                              R"("type":"server_error","param":null,"code":null}})")}},
      AfterScript::kClose);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  ASSERT_TRUE(out.error.has_value());
  EXPECT_EQ(*out.error, "chat completions: HTTP 500: The server had an error while processing your request.");
  EXPECT_TRUE(out.text.empty());
}

TEST_F(OpenAiChatModelTest, UnauthorizedNamesTheStatusAndNeverTheKey) {
  ChatCompletionsServer server(
      io_,
      {{testing::jsonResponse(401, "Unauthorized",
                              std::string(R"({"error":{"message":"Incorrect API key provided: )") + kKey +
                                  R"(.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})")}},
      AfterScript::kClose);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  ASSERT_TRUE(out.error.has_value());
  EXPECT_NE(out.error->find("HTTP 401: Incorrect API key provided"), std::string::npos) << *out.error;
  EXPECT_EQ(out.error->find(kKey), std::string::npos) << *out.error;
}

TEST_F(OpenAiChatModelTest, RateLimitWithLlamaCppStyleBody) {
  ChatCompletionsServer server(
      io_,
      {{testing::jsonResponse(429, "Too Many Requests",
                              R"({"error":{"code":429,"message":"Rate limit reached","type":"rate_limit"}})")}},
      AfterScript::kClose);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or(""), "chat completions: HTTP 429: Rate limit reached");
}

TEST_F(OpenAiChatModelTest, AStalledStreamTimesOutAfterThePartialText) {
  ChatCompletionsServer server(io_, {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hel")))}},
                               AfterScript::kHold);
  auto settings = settingsFor(server);
  settings.idleTimeout = milliseconds(300);
  OpenAiChatModel model(io_, settings);
  Outcome out;
  const auto start = std::chrono::steady_clock::now();
  model.reply(history_, callbacksInto(out));
  run();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(out.text, "Hel");
  EXPECT_EQ(out.error.value_or(""), "chat completions: timeout: no data for 300 ms");
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(2000));
}

TEST_F(OpenAiChatModelTest, NoResponseHeaderTimesOut) {
  ChatCompletionsServer server(io_, {}, AfterScript::kHold);
  auto settings = settingsFor(server);
  settings.connectTimeout = milliseconds(300);
  OpenAiChatModel model(io_, settings);
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or(""), "chat completions: timeout: no response within 300 ms");
}

TEST_F(OpenAiChatModelTest, AStreamCutMidWayIsAnErrorAfterThePartialText) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hello")))},
                                {httpChunk(sseEvent(contentChunk(" wor"))), milliseconds(20)}},
                               AfterScript::kClose);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.text, "Hello wor");
  EXPECT_EQ(out.error.value_or(""), "chat completions: read: the connection closed before the response ended");
}

TEST_F(OpenAiChatModelTest, AStreamThatEndsWithoutDoneIsAnError) {
  ChatCompletionsServer server(
      io_, {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hello"))) + std::string(kLastChunk)}},
      AfterScript::kClose);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.text, "Hello");
  EXPECT_EQ(out.error.value_or(""), "chat completions: the stream ended before data: [DONE]");
}

TEST_F(OpenAiChatModelTest, AnErrorEventMidStream) {
  ChatCompletionsServer server(
      io_,
      {{eventStreamHead() +
        httpChunk(sseEvent(contentChunk("Hel")) +
                  sseEvent(R"({"error":{"message":"upstream overloaded","type":"server_error"}})"))}},
      AfterScript::kHold);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.text, "Hel");
  EXPECT_EQ(out.error.value_or(""), "chat completions: the server reported an error mid-stream: upstream overloaded");
}

TEST_F(OpenAiChatModelTest, AReplyOverTheLimitIsCut) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(sseEvent(contentChunk(std::string(600, 'a'))))},
                                {httpChunk(sseEvent(contentChunk(std::string(600, 'b')))), milliseconds(10)}},
                               AfterScript::kHold);
  auto settings = settingsFor(server);
  settings.maxReplyBytes = 1024;
  OpenAiChatModel model(io_, settings);
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.text, std::string(600, 'a'));
  EXPECT_EQ(out.error.value_or(""), "chat completions: the reply is longer than 1 KiB; cut");
  io_.restart();
  io_.run_for(milliseconds(200));
  EXPECT_TRUE(server.clientClosed());
}

TEST_F(OpenAiChatModelTest, CancelMidStreamClosesTheConnectionAndNothingFollows) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hello")))},
                                {httpChunk(sseEvent(contentChunk(" again"))), milliseconds(100)}},
                               AfterScript::kHold);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  auto cb = callbacksInto(out);
  cb.onText = [&](std::string_view d) {
    out.text += d;
    model.cancel();  // barge-in, from inside the callback
  };
  model.reply(history_, cb);
  // Give the server time to send the rest and see the close.
  boost::asio::steady_timer until(io_, milliseconds(500));
  until.async_wait([&](auto) { io_.stop(); });
  run();
  EXPECT_EQ(out.text, "Hello");
  EXPECT_EQ(out.doneCalls, 0);
  EXPECT_TRUE(server.clientClosed());
}

// Review of issue 14: a reply cut by barge-in has no onDone, yet the
// provider bills its prompt and what it streamed.
TEST_F(OpenAiChatModelTest, ACutReplyReportsItsUsageEstimatedFromItsSize) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hello")))},
                                {httpChunk(sseEvent(contentChunk(" again"))), milliseconds(100)}},
                               AfterScript::kHold);
  auto settings = settingsFor(server);
  std::vector<ProviderUsage> cut;
  settings.cutReplyUsage = [&cut](const ProviderUsage& u) { cut.push_back(u); };
  OpenAiChatModel model(io_, settings);
  Outcome out;
  auto cb = callbacksInto(out);
  cb.onText = [&](std::string_view d) {
    out.text += d;
    model.cancel();
    io_.stop();
  };
  model.reply(history_, cb);
  run();
  EXPECT_EQ(out.doneCalls, 0);
  ASSERT_EQ(cut.size(), 2U);
  // Not calibrated yet: a quarter of a token per byte, of the request and of "Hello".
  EXPECT_EQ(cut[0].unit, "input_tokens");
  EXPECT_EQ(cut[0].quantity, std::ceil(static_cast<double>(model.requestBody(history_).size()) / 4));
  EXPECT_EQ(cut[0].provider, "openai");
  EXPECT_EQ(cut[0].model, "gpt-4o-mini-2024");  // as the stream named it
  EXPECT_EQ(cut[1].unit, "output_tokens");
  EXPECT_EQ(cut[1].quantity, 2);  // ceil(5 / 4)
  // The stream said neither count: both are estimates, and say so.
  EXPECT_TRUE(cut[0].estimated);
  EXPECT_TRUE(cut[1].estimated);
}

// The estimate follows the ratios the model's last complete reply reported.
TEST_F(OpenAiChatModelTest, ACutReplyIsEstimatedAtTheLastCompleteReplysRatios) {
  auto calibration = std::make_shared<TokenCalibration>();
  std::vector<ProviderUsage> cut;
  const auto request = [](const ChatCompletionsServer& server, size_t bodyBytes) {
    return ChatStreamRequest{
        "chat completions", server.baseUrl() + "/chat/completions", {}, std::string(bodyBytes, ' ')};
  };
  // Both servers live to the test's end: a finished one's handlers may still be queued.
  // 24 bytes of request were 12 prompt tokens; "Hi" (2 bytes) was 3 completion tokens.
  ChatCompletionsServer complete(io_,
                                 {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hi")))},
                                  {httpChunk(sseEvent(kUsageChunk) + sseEvent("[DONE]")) + std::string(kLastChunk)}},
                                 AfterScript::kHold);
  Outcome first;
  auto firstStream = startChatStream(io_, settingsFor(complete), request(complete, 24),
                                     std::make_unique<ChatStreamDecoder>(4096), callbacksInto(first), calibration);
  run();
  ASSERT_EQ(first.error.value_or("not done"), "");
  // A complete reply's counts are the server's: its usage records are not estimates.
  EXPECT_FALSE(first.usage.inputEstimated);
  EXPECT_FALSE(first.usage.outputEstimated);
  std::vector<ProviderUsage> measured;
  reportModelUsage([&measured](const ProviderUsage& u) { measured.push_back(u); }, first.usage);
  ASSERT_EQ(measured.size(), 2U);
  EXPECT_EQ(measured[0].quantity, 12);
  EXPECT_FALSE(measured[0].estimated);
  EXPECT_EQ(measured[1].quantity, 3);
  EXPECT_FALSE(measured[1].estimated);
  EXPECT_DOUBLE_EQ(calibration->inputPerByte, 0.5);
  EXPECT_DOUBLE_EQ(calibration->outputPerByte, 1.5);
  io_.restart();
  ChatCompletionsServer server(io_, {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hello")))}},
                               AfterScript::kHold);
  auto settings = settingsFor(server);
  settings.cutReplyUsage = [&cut](const ProviderUsage& u) { cut.push_back(u); };
  Outcome out;
  std::shared_ptr<ChatStream> stream;
  auto cb = callbacksInto(out);
  cb.onText = [&](std::string_view) {
    stream->cancel();
    io_.stop();
  };
  stream = startChatStream(io_, settings, request(server, 100), std::make_unique<ChatStreamDecoder>(4096),
                           std::move(cb), calibration);
  run();
  ASSERT_EQ(cut.size(), 2U);
  EXPECT_EQ(cut[0].quantity, 50);  // 100 bytes at 0.5
  EXPECT_EQ(cut[1].quantity, 8);   // ceil(5 bytes at 1.5)
  EXPECT_TRUE(cut[0].estimated);   // calibrated, still an estimate
  EXPECT_TRUE(cut[1].estimated);
}

// A reply the server accepted and then broke off is billed for what it
// streamed: its onDone carries the estimates, marked.
TEST_F(OpenAiChatModelTest, AReplyBrokenOffAfterItsTextReportsEstimatedUsage) {
  ChatCompletionsServer server(io_, {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hello")))}},
                               AfterScript::kClose);
  OpenAiChatModel model(io_, settingsFor(server));
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.text, "Hello");
  ASSERT_TRUE(out.error);
  EXPECT_NE(out.error->find("connection closed"), std::string::npos) << *out.error;
  EXPECT_EQ(out.usage.inputTokens,
            static_cast<int64_t>(std::ceil(static_cast<double>(model.requestBody(history_).size()) / 4)));
  EXPECT_EQ(out.usage.outputTokens, 2);  // ceil(5 / 4)
  EXPECT_TRUE(out.usage.inputEstimated);
  EXPECT_TRUE(out.usage.outputEstimated);
}

// The output estimate counts a tool call's name and arguments, not only text.
TEST_F(OpenAiChatModelTest, AReplyCutDuringAToolCallIsEstimatedFromTheCall) {
  const std::string call =
      R"({"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1",)"
      R"("type":"function","function":{"name":"end_call","arguments":"{\"reason\":\"bye\"}"}}]},"finish_reason":null}]})";
  ChatCompletionsServer server(io_, {{eventStreamHead() + httpChunk(sseEvent(call))}}, AfterScript::kHold);
  auto settings = settingsFor(server);
  std::vector<ProviderUsage> cut;
  settings.cutReplyUsage = [&cut](const ProviderUsage& u) { cut.push_back(u); };
  OpenAiChatModel model(io_, settings);
  Outcome out;
  auto cb = callbacksInto(out);
  cb.onToolCallStarted = [&] {
    model.cancel();
    io_.stop();
  };
  model.reply(history_, cb);
  run();
  ASSERT_EQ(cut.size(), 2U);
  EXPECT_EQ(cut[1].unit, "output_tokens");
  EXPECT_EQ(cut[1].quantity, 6);  // ceil((8 + 17) / 4): "end_call" and {"reason":"bye"}
  EXPECT_TRUE(cut[1].estimated);
}

TEST_F(OpenAiChatModelTest, AReplyCutBeforeTheServerAnsweredCostsNothing) {
  ChatCompletionsServer server(io_, {}, AfterScript::kHold);  // reads the request, answers nothing
  auto settings = settingsFor(server);
  std::vector<ProviderUsage> cut;
  settings.cutReplyUsage = [&cut](const ProviderUsage& u) { cut.push_back(u); };
  OpenAiChatModel model(io_, settings);
  Outcome out;
  model.reply(history_, callbacksInto(out));
  boost::asio::steady_timer later(io_, milliseconds(100));
  later.async_wait([&](auto) {
    model.cancel();
    io_.stop();
  });
  run();
  EXPECT_EQ(out.doneCalls, 0);
  EXPECT_TRUE(cut.empty());
}

TEST_F(OpenAiChatModelTest, ConnectionRefusedAndBadUrlsAreErrors) {
  OpenAiChatSettings s;
  s.baseUrl = "ftp://example.com/v1";
  OpenAiChatModel bad(io_, s);
  Outcome out;
  bad.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or(""), "chat completions: URL scheme must be http or https");

  std::string refusedUrl;
  {
    boost::asio::ip::tcp::acceptor a(io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
    refusedUrl = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/v1";
  }
  s.baseUrl = refusedUrl;
  OpenAiChatModel refused(io_, s);
  Outcome out2;
  io_.restart();
  refused.reply(history_, callbacksInto(out2));
  run();
  EXPECT_EQ(out2.error.value_or("").rfind("chat completions: connect: ", 0), 0U) << out2.error.value_or("");
}

// https:// takes the TLS path: against a server that speaks plain HTTP the
// handshake fails, and the error says so.
TEST_F(OpenAiChatModelTest, HttpsToAPlainServerFailsInTheTlsHandshake) {
  ChatCompletionsServer server(io_, {{"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"}}, AfterScript::kClose,
                               /*readRequest=*/false);
  auto settings = settingsFor(server);
  settings.baseUrl.replace(0, 4, "https");
  OpenAiChatModel model(io_, settings);
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or("").rfind("chat completions: TLS handshake: ", 0), 0U) << out.error.value_or("");
}

// A self-hosted server behind a private CA: trusted through caFile, refused
// with the system CAs alone.
TEST_F(OpenAiChatModelTest, HttpsStreamsAReplyAndVerifiesTheCertificate) {
  const auto cert = testing::makeLoopbackCertificate();
  boost::asio::ssl::context serverTls(boost::asio::ssl::context::tls_server);
  serverTls.use_certificate_chain(boost::asio::buffer(cert.certPem));
  serverTls.use_private_key(boost::asio::buffer(cert.keyPem), boost::asio::ssl::context::pem);
  const std::string caFile = ::testing::TempDir() + "convox_voice_test_ca.pem";
  std::ofstream(caFile) << cert.certPem;

  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Secure")))},
                                {httpChunk(sseEvent("[DONE]")) + std::string(kLastChunk), milliseconds(20)}},
                               AfterScript::kHold, /*readRequest=*/true, &serverTls);
  auto settings = settingsFor(server);
  settings.caFile = caFile;
  OpenAiChatModel model(io_, settings);
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Secure");
  EXPECT_NE(server.request().find(std::string("Authorization: Bearer ") + kKey), std::string::npos);

  ChatCompletionsServer untrusted(io_, {}, AfterScript::kHold, /*readRequest=*/true, &serverTls);
  settings = settingsFor(untrusted);
  OpenAiChatModel refused(io_, settings);
  Outcome out2;
  io_.restart();
  refused.reply(history_, callbacksInto(out2));
  run();
  EXPECT_EQ(out2.error.value_or("").rfind("chat completions: TLS handshake: ", 0), 0U) << out2.error.value_or("");
  EXPECT_NE(out2.error.value_or("").find("certificate verify failed"), std::string::npos) << out2.error.value_or("");
}

TEST(OpenAiChatSettingsTest, FromTheAgentDocument) {
  agent_config::AgentSettings agent;
  agent.llm.provider = "ollama";
  agent.llm.model = "llama3.2";
  agent.llm.config["base_url"] = "http://127.0.0.1:11434/v1/";
  agent.llmTemperature = 0.2;
  agent.llmMaxTokens = 99;
  auto s = openAiChatSettingsFrom(agent, "env-key");
  EXPECT_EQ(s.baseUrl, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(s.model, "llama3.2");
  EXPECT_EQ(s.provider, "ollama");
  EXPECT_EQ(s.apiKey, "env-key");
  EXPECT_EQ(s.temperature, 0.2);
  EXPECT_EQ(s.maxTokens, 99);
  agent.llm.config["api_key"] = "doc-key";  // ignored: a key is never read from the document
  EXPECT_EQ(openAiChatSettingsFrom(agent, "env-key").apiKey, "env-key");
  EXPECT_EQ(openAiChatSettingsFrom(agent_config::AgentSettings{}, "").baseUrl, "https://api.openai.com/v1");
}

}  // namespace
}  // namespace convox::voice

namespace convox::voice {
namespace {

// SSRF (review item 8): a document's base_url the operator does not trust
// may not reach loopback; the request fails with the reason and the server
// never sees it (here the local wire-format server on 127.0.0.1).
TEST_F(OpenAiChatModelTest, PublicAddressesOnlyRefusesLoopbackWithTheReason) {
  ChatCompletionsServer server(
      io_,
      {{eventStreamHead() + httpChunk(sseEvent(contentChunk("Hi")) + sseEvent("[DONE]")) + std::string(kLastChunk)}},
      AfterScript::kClose);
  auto settings = settingsFor(server);
  settings.publicAddressesOnly = true;
  OpenAiChatModel model(io_, settings);
  Outcome out;
  model.reply(history_, callbacksInto(out));
  run();
  ASSERT_TRUE(out.error.has_value());
  EXPECT_NE(out.error->find("refused: 127.0.0.1 is 127.0.0.1, a loopback address"), std::string::npos) << *out.error;
  EXPECT_EQ(out.error->find(kKey), std::string::npos) << *out.error;
  EXPECT_TRUE(out.text.empty());
  EXPECT_TRUE(server.request().empty()) << "the request reached the server";
}

}  // namespace
}  // namespace convox::voice

// GeminiChatModel against a local server speaking streamGenerateContent's
// alt=sse wire format (one GenerateContentResponse per event, no end
// marker), which checks the path, the key header and the request's shape.
#include "voice/gemini_chat_model.hpp"

#include "chat_completions_server.hpp"
#include "chat_model_test_support.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

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

constexpr const char* kKey = "AIza-test-secret-key-0001";

// Gemini's server writes "\r\n\r\n" after each event.
std::string response(std::string_view parts, std::string_view tail = "") {
  return "data: " + std::string(R"({"candidates": [{"content": {"parts": [)") + std::string(parts) +
         R"(],"role": "model"},"index": 0)" + std::string(tail) +
         R"(}],"usageMetadata": {"promptTokenCount": 31,"candidatesTokenCount": 4,"totalTokenCount": 35},)"
         R"("modelVersion": "gemini-2.5-flash","responseId": "r1"})" +
         "\r\n\r\n";
}
std::string finalResponse(std::string_view parts, std::string_view reason = "STOP") {
  return "data: " + std::string(R"({"candidates": [{"content": {"parts": [)") + std::string(parts) +
         R"(],"role": "model"},"finishReason": ")" + std::string(reason) +
         R"(","index": 0}],"usageMetadata": {"promptTokenCount": 31,"candidatesTokenCount": 9,)"
         R"("thoughtsTokenCount": 5,"totalTokenCount": 45},"modelVersion": "gemini-2.5-flash-001","responseId": "r1"})" +
         "\r\n\r\n";
}

using Outcome = testing::ReplyOutcome;

class GeminiChatModelTest : public ::testing::Test {
 protected:
  GeminiChatSettings settingsFor(const ChatCompletionsServer& server) {
    GeminiChatSettings s;
    s.baseUrl = server.baseUrl();
    s.baseUrl.resize(s.baseUrl.size() - 3);  // the API root, without /v1
    s.apiKey = kKey;
    s.temperature = 0.5;
    s.maxTokens = 120;
    s.connectTimeout = milliseconds(3000);
    s.idleTimeout = milliseconds(3000);
    return s;
  }

  ReplyCallbacks callbacksInto(Outcome& out) { return testing::collectInto(out, io_); }
  Outcome replyWith(GeminiChatSettings settings) {
    return testing::replyOnce<GeminiChatModel>(io_, std::move(settings), history_);
  }

  std::string errorFrom(int status, std::string_view reason, std::string_view body) {
    ChatCompletionsServer server(io_, {{testing::jsonResponse(status, reason, body)}}, AfterScript::kClose);
    return replyWith(settingsFor(server)).error.value_or("not done");
  }

  const std::vector<ChatMessage> history_{{"system", "You are a receptionist.", ""},
                                          {"assistant", "Hello, Convox Clinic.", ""},
                                          {"user", "Book me for nine.", ""}};
  boost::asio::io_context io_;
};

TEST_F(GeminiChatModelTest, StreamsTextSkipsThoughtsAndReportsAFunctionCall) {
  const std::string first = httpChunk(response(R"({"text": "Nine is"})"));
  ChatCompletionsServer server(
      io_,
      {{eventStreamHead() + httpChunk(response(R"({"text": "Let me think.", "thought": true})"))},
       {first.substr(0, 25), milliseconds(10)},
       {first.substr(25), milliseconds(10)},
       {httpChunk(response(R"({"text": " booked. Bye!"})")), milliseconds(10)},
       {httpChunk(finalResponse(R"({"functionCall": {"name": "end_call","args": {"reason": "booked"}},)"
                                R"("thoughtSignature": "c2ln"})")) +
            std::string(kLastChunk),
        milliseconds(10)}},
      AfterScript::kHold);
  auto out = replyWith(settingsFor(server));
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Nine is booked. Bye!");
  ASSERT_EQ(out.actions.size(), 1U);
  EXPECT_EQ(out.actions[0].name, "end_call");
  EXPECT_EQ(out.actions[0].arguments.at("reason"), "booked");
  EXPECT_EQ(out.usage.inputTokens, 31);
  EXPECT_EQ(out.usage.outputTokens, 14);  // candidates and thoughts, from the last (running) total
  EXPECT_EQ(out.usage.model, "gemini-2.5-flash-001");
  EXPECT_EQ(out.usage.provider, "gemini");
  EXPECT_EQ(out.doneCalls, 1);

  const auto& req = server.request();
  EXPECT_EQ(req.rfind("POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse HTTP/1.1\r\n", 0), 0U) << req;
  EXPECT_NE(req.find(std::string("x-goog-api-key: ") + kKey + "\r\n"), std::string::npos) << req;
  EXPECT_EQ(req.find("key="), std::string::npos) << "the key never goes in the URL";
  const auto body = boost::json::parse(req.substr(req.find("\r\n\r\n") + 4)).as_object();
  EXPECT_EQ(body.at("systemInstruction").at("parts").as_array()[0].at("text"), "You are a receptionist.");
  const auto& contents = body.at("contents").as_array();
  ASSERT_EQ(contents.size(), 3U);
  EXPECT_EQ(contents[0].at("role"), "user");
  EXPECT_EQ(contents[1].at("role"), "model");
  EXPECT_EQ(contents[1].at("parts").as_array()[0].at("text"), "Hello, Convox Clinic.");
  EXPECT_EQ(contents[2].at("parts").as_array()[0].at("text"), "Book me for nine.");
  const auto& declarations = body.at("tools").as_array()[0].at("functionDeclarations").as_array();
  ASSERT_EQ(declarations.size(), 2U);
  EXPECT_EQ(declarations[0].at("name"), "end_call");
  EXPECT_EQ(declarations[1].at("parameters").at("type"), "object");
  EXPECT_DOUBLE_EQ(body.at("generationConfig").at("temperature").to_number<double>(), 0.5);
  EXPECT_EQ(body.at("generationConfig").at("maxOutputTokens"), 120);
}

TEST_F(GeminiChatModelTest, AModelNameCannotLeaveItsPathSegment) {
  GeminiChatSettings s;
  s.baseUrl = "https://generativelanguage.googleapis.com";
  s.model = "models/gemini-2.0-flash";
  EXPECT_EQ(GeminiChatModel(io_, s).requestUrl(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
  s.model = "x/../../v1/files?y";
  EXPECT_EQ(GeminiChatModel(io_, s).requestUrl(),
            "https://generativelanguage.googleapis.com/v1beta/models/x%2F..%2F..%2Fv1%2Ffiles%3Fy"
            ":streamGenerateContent?alt=sse");
}

TEST_F(GeminiChatModelTest, ForbiddenAndServerErrorsNameStatusAndMessageButNeverTheKey) {
  const auto forbidden =
      errorFrom(403, "Forbidden",
                std::string(R"({"error":{"code":403,"message":"Method doesn't allow unregistered callers )") + kKey +
                    R"(","status":"PERMISSION_DENIED"}})");
  EXPECT_NE(forbidden.find("gemini: HTTP 403: PERMISSION_DENIED: Method doesn't allow"), std::string::npos)
      << forbidden;
  EXPECT_EQ(forbidden.find(kKey), std::string::npos) << forbidden;
  io_.restart();
  EXPECT_EQ(errorFrom(500, "Internal Server Error",
                      R"([{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}])"),
            "gemini: HTTP 500: INTERNAL: An internal error has occurred.");
}

TEST_F(GeminiChatModelTest, RateLimitCarriesTheRetryDelay) {
  EXPECT_EQ(errorFrom(429, "Too Many Requests",
                      R"({"error":{"code":429,"message":"You exceeded your current quota.","status":)"
                      R"("RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure"},)"
                      R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}})"),
            "gemini: HTTP 429: RESOURCE_EXHAUSTED: You exceeded your current quota. (retry in 7s)");
}

TEST_F(GeminiChatModelTest, AStalledStreamTimesOut) {
  ChatCompletionsServer server(io_, {{eventStreamHead() + httpChunk(response(R"({"text": "Hm"})"))}},
                               AfterScript::kHold);
  auto settings = settingsFor(server);
  settings.idleTimeout = milliseconds(300);
  auto out = replyWith(settings);
  EXPECT_EQ(out.text, "Hm");
  EXPECT_EQ(out.error.value_or(""), "gemini: timeout: no data for 300 ms");
}

TEST_F(GeminiChatModelTest, ACutAndABodyEndingWithoutAFinishReasonAreErrors) {
  ChatCompletionsServer cut(io_, {{eventStreamHead() + httpChunk(response(R"({"text": "Hel"})"))}},
                            AfterScript::kClose);
  auto out = replyWith(settingsFor(cut));
  EXPECT_EQ(out.text, "Hel");
  EXPECT_EQ(out.error.value_or(""), "gemini: read: the connection closed before the response ended");

  io_.restart();
  ChatCompletionsServer early(
      io_, {{eventStreamHead() + httpChunk(response(R"({"text": "Hel"})")) + std::string(kLastChunk)}},
      AfterScript::kClose);
  EXPECT_EQ(replyWith(settingsFor(early)).error.value_or(""), "gemini: the stream ended before a finishReason");
}

TEST_F(GeminiChatModelTest, MalformedEventsSafetyStopsAndMidStreamErrors) {
  ChatCompletionsServer bad(io_, {{eventStreamHead() + httpChunk(sseEvent("{\"candidates\": [}"))}},
                            AfterScript::kHold);
  EXPECT_EQ(replyWith(settingsFor(bad)).error.value_or(""), "gemini: a stream event is not a JSON object");

  io_.restart();
  ChatCompletionsServer safety(io_, {{eventStreamHead() + httpChunk(finalResponse(R"({"text": ""})", "SAFETY"))}},
                               AfterScript::kHold);
  EXPECT_EQ(replyWith(settingsFor(safety)).error.value_or(""), "gemini: the reply stopped with finishReason SAFETY");

  io_.restart();
  ChatCompletionsServer midStream(
      io_,
      {{eventStreamHead() + httpChunk(response(R"({"text": "One"})") +
                                      sseEvent(R"({"error":{"code":503,"message":"The model is overloaded.",)"
                                               R"("status":"UNAVAILABLE"}})"))}},
      AfterScript::kHold);
  auto out = replyWith(settingsFor(midStream));
  EXPECT_EQ(out.text, "One");
  EXPECT_EQ(out.error.value_or(""),
            "gemini: the server reported an error mid-stream: UNAVAILABLE: The model is overloaded.");
}

TEST_F(GeminiChatModelTest, CancelMidStreamClosesTheConnectionAndNothingFollows) {
  ChatCompletionsServer server(io_,
                               {{eventStreamHead() + httpChunk(response(R"({"text": "Hello"})"))},
                                {httpChunk(finalResponse(R"({"text": " again"})")), milliseconds(100)}},
                               AfterScript::kHold);
  GeminiChatModel model(io_, settingsFor(server));
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

}  // namespace
}  // namespace convox::voice

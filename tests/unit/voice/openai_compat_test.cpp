// The OpenAI-compatible servers' differences (PROTOCOL-providers.md §1 table
// and §7), each with the chunk shapes that server really sends: Groq's
// x_groq usage, Ollama's whole tool call and its `stop` after one, llama.cpp's
// `content: null` and numeric error code, vLLM's numeric code and reasoning
// deltas, Sarvam's reasoning_content and its key header.
#include "voice/openai_chat_model.hpp"

#include "chat_completions_server.hpp"
#include "chat_model_test_support.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

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

constexpr const char* kKey = "compat-secret-key-456";

using Outcome = testing::ReplyOutcome;

class OpenAiCompatTest : public ::testing::Test {
 protected:
  OpenAiChatSettings settingsFor(const ChatCompletionsServer& server) {
    OpenAiChatSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = kKey;
    s.connectTimeout = milliseconds(3000);
    s.idleTimeout = milliseconds(3000);
    return s;
  }

  Outcome replyFrom(OpenAiChatSettings settings) {
    return testing::replyOnce<OpenAiChatModel>(io_, std::move(settings), history_);
  }

  std::unique_ptr<ChatCompletionsServer> serve(const std::string& events) {
    return std::make_unique<ChatCompletionsServer>(
        io_, std::vector<testing::ServerStep>{{eventStreamHead() + httpChunk(events) + std::string(kLastChunk)}},
        AfterScript::kClose);
  }

  const std::vector<ChatMessage> history_{{"user", "Hello", ""}};
  boost::asio::io_context io_;
};

// Groq without stream_options honoured: no usage chunk; the finish chunk's
// x_groq.usage is the only count.
TEST_F(OpenAiCompatTest, GroqUsageFromXGroqWhenNoUsageChunkCame) {
  const std::string events =
      sseEvent(R"({"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"llama-3.3-70b-versatile",)"
               R"("system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":""},)"
               R"("logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_01"}})") +
      sseEvent(R"({"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"llama-3.3-70b-versatile",)"
               R"("choices":[{"index":0,"delta":{"content":"Hi!"},"logprobs":null,"finish_reason":null}]})") +
      sseEvent(R"({"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"llama-3.3-70b-versatile",)"
               R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],)"
               R"("x_groq":{"id":"req_01","usage":{"queue_time":0.02,"prompt_tokens":41,"prompt_time":0.003,)"
               R"("completion_tokens":2,"completion_time":0.004,"total_tokens":43,"total_time":0.007}}})") +
      sseEvent("[DONE]");
  auto server = serve(events);
  auto out = replyFrom(settingsFor(*server));
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Hi!");
  EXPECT_EQ(out.usage.inputTokens, 41);
  EXPECT_EQ(out.usage.outputTokens, 2);
}

// With include_usage Groq sends both; the standard chunk counts, once.
TEST_F(OpenAiCompatTest, GroqStandardUsageChunkWinsOverXGroq) {
  const std::string events =
      sseEvent(R"({"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})") +
      sseEvent(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],)"
               R"("x_groq":{"id":"req_02","usage":{"prompt_tokens":40,"completion_tokens":1,"total_tokens":41}}})") +
      sseEvent(R"({"choices":[],"usage":{"prompt_tokens":41,"completion_tokens":2,"total_tokens":43},)"
               R"("x_groq":{"id":"req_02"}})") +
      sseEvent("[DONE]");
  auto server = serve(events);
  auto out = replyFrom(settingsFor(*server));
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.usage.inputTokens, 41);
  EXPECT_EQ(out.usage.outputTokens, 2);
}

// Ollama: the whole call in one delta, then a finish chunk with `stop`
// (older Ollama did not rewrite it to tool_calls).
TEST_F(OpenAiCompatTest, OllamaWholeToolCallThenStop) {
  const std::string events =
      sseEvent(R"({"id":"chatcmpl-5","object":"chat.completion.chunk","created":1,"model":"llama3.2",)"
               R"("system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"",)"
               R"("tool_calls":[{"id":"call_x1","index":0,"type":"function","function":{"name":"end_call",)"
               R"("arguments":"{\"reason\":\"caller said bye\"}"}}]},"finish_reason":null}]})") +
      sseEvent(R"({"id":"chatcmpl-5","object":"chat.completion.chunk","created":1,"model":"llama3.2",)"
               R"("system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},)"
               R"("finish_reason":"stop"}]})") +
      sseEvent(R"({"id":"chatcmpl-5","object":"chat.completion.chunk","created":1,"model":"llama3.2",)"
               R"("system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":88,"completion_tokens":17,)"
               R"("total_tokens":105}})") +
      sseEvent("[DONE]");
  auto server = serve(events);
  auto out = replyFrom(settingsFor(*server));
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "");
  ASSERT_EQ(out.actions.size(), 1U);
  EXPECT_EQ(out.actions[0].name, "end_call");
  EXPECT_EQ(out.actions[0].arguments.at("reason"), "caller said bye");
  EXPECT_EQ(out.actions[0].arguments.at("tool_call_id"), "call_x1");
  EXPECT_EQ(out.usage.inputTokens, 88);
}

// Ollama's thinking models: `reasoning` deltas before the answer.
TEST_F(OpenAiCompatTest, OllamaReasoningIsNeverSpoken) {
  const std::string events =
      sseEvent(R"({"model":"qwen3","choices":[{"index":0,"delta":{"role":"assistant","content":"",)"
               R"("reasoning":"The user greets me."},"finish_reason":null}]})") +
      sseEvent(R"({"model":"qwen3","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello!"},)"
               R"("finish_reason":null}]})") +
      sseEvent(R"({"model":"qwen3","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]})") +
      sseEvent("[DONE]");
  auto server = serve(events);
  auto out = replyFrom(settingsFor(*server));
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Hello!");
}

// llama.cpp: `content: null` in the first delta, `timings` on the last chunk.
TEST_F(OpenAiCompatTest, LlamaCppNullContentAndTimings) {
  const std::string events =
      sseEvent(R"({"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],)"
               R"("created":1,"id":"chatcmpl-ll","model":"gpt-3.5-turbo","system_fingerprint":"b5000-abc",)"
               R"("object":"chat.completion.chunk"})") +
      sseEvent(R"({"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Sure."}}],"created":1,)"
               R"("id":"chatcmpl-ll","model":"gpt-3.5-turbo","object":"chat.completion.chunk"})") +
      sseEvent(R"({"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"chatcmpl-ll",)"
               R"("model":"gpt-3.5-turbo","object":"chat.completion.chunk","timings":{"prompt_n":12,)"
               R"("prompt_ms":30.1,"predicted_n":3,"predicted_ms":40.2}})") +
      sseEvent(
          R"({"choices":[],"created":1,"id":"chatcmpl-ll","model":"gpt-3.5-turbo",)"
          R"("object":"chat.completion.chunk","usage":{"completion_tokens":3,"prompt_tokens":12,"total_tokens":15}})") +
      sseEvent("[DONE]");
  auto server = serve(events);
  auto out = replyFrom(settingsFor(*server));
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Sure.");
  EXPECT_EQ(out.usage.outputTokens, 3);
}

TEST_F(OpenAiCompatTest, LlamaCppNumericErrorCode) {
  ChatCompletionsServer server(
      io_,
      {{testing::jsonResponse(400, "Bad Request",
                              R"({"error":{"code":400,"message":"the request exceeds the available context size, )"
                              R"(try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9000,)"
                              R"("n_ctx":4096}})")}},
      AfterScript::kClose);
  auto out = replyFrom(settingsFor(server));
  EXPECT_EQ(out.error.value_or(""),
            "chat completions: HTTP 400: the request exceeds the available context size, try increasing it");
}

// vLLM: a numeric code in the error object, also as an event mid-stream;
// its reasoning parsers send `reasoning` and the deprecated `reasoning_content`.
TEST_F(OpenAiCompatTest, VllmReasoningAndNumericErrorMidStream) {
  const std::string events =
      sseEvent(R"({"id":"chatcmpl-v","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B",)"
               R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,)"
               R"("finish_reason":null}]})") +
      sseEvent(R"({"id":"chatcmpl-v","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B",)"
               R"("choices":[{"index":0,"delta":{"reasoning":"Think first.","reasoning_content":"Think first."},)"
               R"("logprobs":null,"finish_reason":null}]})") +
      sseEvent(R"({"id":"chatcmpl-v","object":"chat.completion.chunk","created":1,"model":"Qwen/Qwen3-8B",)"
               R"("choices":[{"index":0,"delta":{"content":"Yes"},"logprobs":null,"finish_reason":null}]})") +
      sseEvent(R"({"error":{"message":"Engine loop has died","type":"InternalServerError","param":null,"code":500}})");
  auto server = serve(events);
  auto out = replyFrom(settingsFor(*server));
  EXPECT_EQ(out.text, "Yes");
  EXPECT_EQ(out.error.value_or(""), "chat completions: the server reported an error mid-stream: Engine loop has died");
}

// Sarvam: reasoning_content deltas (reasoning is on by default) come before
// the content; only the content is spoken, and the key travels in
// api-subscription-key, never as a Bearer token.
TEST_F(OpenAiCompatTest, SarvamReasoningContentAndSubscriptionKeyHeader) {
  const std::string events =
      sseEvent(R"({"id":"s1","object":"chat.completion.chunk","created":1,"model":"sarvam-105b",)"
               R"("choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"The user says hello"},)"
               R"("finish_reason":null}]})") +
      sseEvent(R"({"id":"s1","object":"chat.completion.chunk","created":1,"model":"sarvam-105b",)"
               R"("choices":[{"index":0,"delta":{"reasoning_content":" in English."},"finish_reason":null}]})") +
      sseEvent(R"({"id":"s1","object":"chat.completion.chunk","created":1,"model":"sarvam-105b",)"
               R"("choices":[{"index":0,"delta":{"content":"Namaste!"},"finish_reason":null}]})") +
      sseEvent(R"({"id":"s1","object":"chat.completion.chunk","created":1,"model":"sarvam-105b",)"
               R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}],)"
               R"("usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}})") +
      sseEvent("[DONE]");
  auto server = serve(events);
  auto settings = settingsFor(*server);
  settings.provider = "sarvam";
  settings.keyHeader = "api-subscription-key";
  auto out = replyFrom(settings);
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_EQ(out.text, "Namaste!");
  EXPECT_EQ(out.usage.outputTokens, 9);
  const auto& req = server->request();
  EXPECT_NE(req.find(std::string("api-subscription-key: ") + kKey + "\r\n"), std::string::npos) << req;
  EXPECT_EQ(req.find("Authorization"), std::string::npos) << req;
  EXPECT_EQ(req.find("Bearer"), std::string::npos) << req;
}

TEST_F(OpenAiCompatTest, SarvamForbiddenNamesTheStatusAndTheCode) {
  ChatCompletionsServer server(
      io_,
      {{testing::jsonResponse(403, "Forbidden",
                              R"({"error":{"message":"Invalid API key. Please check your API subscription key.",)"
                              R"("code":"invalid_api_key_error","request_id":"20260801_abc"}})")}},
      AfterScript::kClose);
  auto settings = settingsFor(server);
  settings.keyHeader = "api-subscription-key";
  auto out = replyFrom(settings);
  EXPECT_EQ(out.error.value_or(""),
            "chat completions: HTTP 403: Invalid API key. Please check your API subscription key.");
}

// Groq answers a rate limit with retry-after; the error keeps it for the caller.
TEST_F(OpenAiCompatTest, GroqRateLimitKeepsRetryAfter) {
  std::string response = testing::jsonResponse(
      429, "Too Many Requests",
      R"({"error":{"message":"Rate limit reached for model `llama-3.3-70b-versatile` on tokens per minute",)"
      R"("type":"tokens","code":"rate_limit_exceeded"}})");
  response.insert(response.find("\r\n") + 2, "retry-after: 2\r\nx-ratelimit-remaining-tokens: 0\r\n");
  ChatCompletionsServer server(io_, {{response}}, AfterScript::kClose);
  auto out = replyFrom(settingsFor(server));
  EXPECT_EQ(out.error.value_or(""),
            "chat completions: HTTP 429 (retry after 2 s): Rate limit reached for model `llama-3.3-70b-versatile` on "
            "tokens per minute");
}

}  // namespace
}  // namespace convox::voice

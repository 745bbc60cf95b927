#pragma once

// The events of a streamed chat completion (one SSE data payload at a time):
// choices[0].delta.content as text, choices[0].delta.tool_calls assembled by
// index (id and function.name once, function.arguments in pieces), usage
// from whichever chunk carries it (the include_usage chunk has no choices;
// some servers send a running total on every chunk, so the last one wins),
// `data: [DONE]` as the end and a `data: {"error": ...}` as a failure.
//
// Server differences (PROTOCOL-providers.md §1, §7): Groq reports usage in
// `x_groq.usage` on the finish chunk, counted when no standard usage chunk
// came; reasoning deltas (`reasoning_content`, `reasoning`: Sarvam, vLLM,
// Ollama's thinking) are never text to speak; Ollama's whole tool call in one
// delta and llama.cpp's `content: null` need nothing special.

#include "voice/chat_stream.hpp"
#include "voice/language_model.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

class ChatStreamDecoder final : public ChatEventDecoder {
 public:
  // `maxBytes` bounds the text and tool arguments together.
  explicit ChatStreamDecoder(size_t maxBytes) : budget_(maxBytes) {}

  // False with `error` set when the payload is not a chunk, reports an error,
  // or the reply grows past the limit.
  bool onData(std::string_view data, const TextSink& onText, std::string& error) override;

  bool done() const override { return done_; }
  bool callingTools() const override { return !calls_.empty(); }
  std::string endedWithoutDone() const override { return "the stream ended before data: [DONE]"; }
  // The tool calls, in index order, as the platform's actions (actionFromToolCall).
  // False when a call's arguments are not a JSON object.
  bool actions(std::vector<ModelAction>& out, std::string& error) const override;
  void addUsage(ModelUsage& usage) const override;
  size_t outputBytes() const override { return budget_.used(); }
  std::string errorFromBody(std::string_view body) const override;

  int64_t promptTokens() const { return sawUsage_ ? promptTokens_ : groqPromptTokens_; }
  int64_t completionTokens() const { return sawUsage_ ? completionTokens_ : groqCompletionTokens_; }
  const std::string& model() const { return model_; }
  const std::string& finishReason() const { return finishReason_; }

 private:
  struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;
  };

  ReplyBudget budget_;
  bool done_ = false;
  std::map<int64_t, ToolCall> calls_;
  int64_t promptTokens_ = 0;
  int64_t completionTokens_ = 0;
  bool sawUsage_ = false;
  int64_t groqPromptTokens_ = 0;
  int64_t groqCompletionTokens_ = 0;
  std::string model_;
  std::string finishReason_;
};

// The message of an error body ({"error": {"message"}}, {"error": "..."},
// {"detail": ...}) or the start of the body as it is.
std::string errorMessageFromBody(std::string_view body);

}  // namespace convox::voice

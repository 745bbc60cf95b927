#pragma once

// The events of a streamed chat completion (one SSE data payload at a time):
// choices[0].delta.content as text, choices[0].delta.tool_calls assembled by
// index (id and function.name once, function.arguments in pieces), usage
// from whichever chunk carries it (the include_usage chunk has no choices;
// some servers send a running total on every chunk, so the last one wins),
// `data: [DONE]` as the end and a `data: {"error": ...}` as a failure.

#include "voice/language_model.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

class ChatStreamDecoder {
 public:
  // `maxBytes` bounds the text and tool arguments together.
  explicit ChatStreamDecoder(size_t maxBytes) : maxBytes_(maxBytes) {}

  // False with `error` set when the payload is not a chunk, reports an error,
  // or the reply grows past the limit.
  bool onData(std::string_view data, const std::function<void(std::string_view text)>& onText, std::string& error);

  bool done() const { return done_; }
  // The tool calls, in index order, as the platform's actions: end_call ->
  // "end_call", transfer_to_human -> "transfer" (target "" = a human), other
  // names as they are. False when a call's arguments are not a JSON object.
  bool actions(std::vector<ModelAction>& out, std::string& error) const;

  int64_t promptTokens() const { return promptTokens_; }
  int64_t completionTokens() const { return completionTokens_; }
  const std::string& model() const { return model_; }
  const std::string& finishReason() const { return finishReason_; }

 private:
  struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;
  };

  bool grow(size_t bytes, std::string& error);

  size_t maxBytes_;
  size_t bytes_ = 0;
  bool done_ = false;
  std::map<int64_t, ToolCall> calls_;
  int64_t promptTokens_ = 0;
  int64_t completionTokens_ = 0;
  std::string model_;
  std::string finishReason_;
};

// The message of an error body ({"error": {"message"}}, {"error": "..."},
// {"detail": ...}) or the start of the body as it is.
std::string errorMessageFromBody(std::string_view body);

}  // namespace convox::voice

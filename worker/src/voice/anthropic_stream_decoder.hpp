#pragma once

// The events of a streamed Anthropic Messages reply, as Anthropic documents
// them ("Streaming Messages", docs.anthropic.com/en/api/messages-streaming;
// the same types as anthropic-sdk-python's RawMessageStreamEvent):
//   message_start        {"message":{"model","usage":{"input_tokens",...}}}
//   content_block_start  {"index","content_block":{"type":"text"} | {"type":"tool_use","id","name","input":{}}}
//   content_block_delta  {"index","delta":{"type":"text_delta","text"} | {"type":"input_json_delta","partial_json"}}
//   content_block_stop   {"index"}
//   message_delta        {"delta":{"stop_reason"},"usage":{"output_tokens"}}  (cumulative)
//   message_stop         the end
//   ping                 nothing
//   error                {"error":{"type":"overloaded_error","message"}}
// Every data payload carries its own "type", so the SSE `event:` line is not
// needed. Thinking blocks (thinking_delta, signature_delta) are never spoken.

#include "voice/chat_stream.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace convox::voice {

class AnthropicStreamDecoder final : public ChatEventDecoder {
 public:
  explicit AnthropicStreamDecoder(size_t maxBytes) : budget_(maxBytes) {}

  bool onData(std::string_view data, const TextSink& onText, std::string& error) override;
  bool done() const override { return done_; }
  bool callingTools() const override { return !tools_.empty(); }
  std::string endedWithoutDone() const override { return "the stream ended before message_stop"; }
  bool actions(std::vector<ModelAction>& out, std::string& error) const override;
  void addUsage(ModelUsage& usage) const override;
  size_t outputBytes() const override { return budget_.used(); }
  std::string errorFromBody(std::string_view body) const override;

 private:
  struct ToolUse {
    std::string id;
    std::string name;
    std::string json;  // input_json_delta pieces
  };

  ReplyBudget budget_;
  bool done_ = false;
  std::map<int64_t, ToolUse> tools_;  // by content block index
  int64_t inputTokens_ = 0;
  int64_t outputTokens_ = 0;
  std::string model_;
};

}  // namespace convox::voice

#pragma once

// The events of a Gemini streamGenerateContent?alt=sse reply, as Google's
// API reference documents GenerateContentResponse
// (ai.google.dev/api/generate-content): each `data:` is one response with
// candidates[0].content.parts[] ({"text"} | {"functionCall":{"name","args"}}
// | {"text","thought":true}, never spoken), candidates[0].finishReason,
// usageMetadata {promptTokenCount, candidatesTokenCount, thoughtsTokenCount}
// (a running total: the last one counts; thoughts are billed as output) and
// modelVersion; promptFeedback.blockReason when the prompt was refused; an
// {"error":{code,message,status}} object when the server fails mid-stream.

#include "voice/chat_stream.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace convox::voice {

class GeminiStreamDecoder final : public ChatEventDecoder {
 public:
  explicit GeminiStreamDecoder(size_t maxBytes) : budget_(maxBytes) {}

  bool onData(std::string_view data, const TextSink& onText, std::string& error) override;
  bool done() const override { return false; }  // no marker: the body's end is the end
  bool callingTools() const override { return !calls_.empty(); }
  std::string endedWithoutDone() const override;
  bool actions(std::vector<ModelAction>& out, std::string& error) const override;
  void addUsage(ModelUsage& usage) const override;
  size_t outputBytes() const override { return budget_.used(); }
  std::string errorFromBody(std::string_view body) const override;

 private:
  struct Call {
    std::string id;
    std::string name;
    boost::json::object args;
  };

  ReplyBudget budget_;
  std::vector<Call> calls_;
  int64_t promptTokens_ = 0;
  int64_t outputTokens_ = 0;
  std::string model_;
  std::string finishReason_;
};

}  // namespace convox::voice

#include "voice/anthropic_stream_decoder.hpp"

#include "voice/chat_tools.hpp"
#include "voice/json_fields.hpp"
#include "voice/text_clip.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace convox::voice {

namespace json = boost::json;

namespace {

// {"type":"overloaded_error","message":"Overloaded"} -> "overloaded_error: Overloaded".
std::string describe(const json::value& error) {
  const auto* o = error.if_object();
  if (!o) return clipText(json::serialize(error));
  const auto type = stringAt(*o, "type");
  const auto message = stringAt(*o, "message");
  if (message.empty()) return clipText(json::serialize(error));
  return clipText(type.empty() ? std::string(message) : std::string(type) + ": " + std::string(message));
}

}  // namespace

bool AnthropicStreamDecoder::onData(std::string_view data, const TextSink& onText, std::string& error) {
  boost::system::error_code ec;
  const auto value = json::parse(data, ec);
  if (ec || !value.is_object()) {
    error = "a stream event is not a JSON object";
    return false;
  }
  const auto& event = value.get_object();
  const auto type = stringAt(event, "type");
  if (type == "ping" || type == "content_block_stop") return true;
  if (type == "error") {
    const auto* e = event.if_contains("error");
    error = "the server reported an error mid-stream: " + (e ? describe(*e) : std::string("(no detail)"));
    return false;
  }
  if (type == "message_start") {
    const auto* message = objectAt(event, "message");
    if (!message) {
      error = "message_start without a message";
      return false;
    }
    if (auto m = stringAt(*message, "model"); !m.empty()) model_ = m;
    // Its output_tokens (1, or a few) is a placeholder, not a count of the
    // reply: only message_delta's is. A reply cut before that has its
    // output estimated, not reported as one token.
    if (const auto* usage = objectAt(*message, "usage")) inputTokens_ = intAt(*usage, "input_tokens", inputTokens_);
    return true;
  }
  if (type == "message_delta") {
    // Cumulative counts; input_tokens appears here too on newer API versions.
    if (const auto* usage = objectAt(event, "usage")) {
      outputTokens_ = intAt(*usage, "output_tokens", outputTokens_);
      inputTokens_ = intAt(*usage, "input_tokens", inputTokens_);
    }
    return true;
  }
  if (type == "message_stop") {
    done_ = true;
    return true;
  }
  const int64_t index = intAt(event, "index", -1);
  if (type == "content_block_start") {
    const auto* block = objectAt(event, "content_block");
    if (!block || index < 0) {
      error = "content_block_start without an index or a content_block";
      return false;
    }
    if (stringAt(*block, "type") == "tool_use") {
      auto& tool = tools_[index];
      tool.id = stringAt(*block, "id");
      tool.name = stringAt(*block, "name");
      if (!budget_.take(tool.name.size(), error)) return false;
    }
    return true;  // a text block's text comes in deltas; thinking is not spoken
  }
  if (type == "content_block_delta") {
    const auto* delta = objectAt(event, "delta");
    if (!delta || index < 0) {
      error = "content_block_delta without an index or a delta";
      return false;
    }
    const auto kind = stringAt(*delta, "type");
    if (kind == "text_delta") {
      const auto text = stringAt(*delta, "text");
      if (!budget_.take(text.size(), error)) return false;
      if (!text.empty() && onText) onText(text);
    } else if (kind == "input_json_delta") {
      auto it = tools_.find(index);
      if (it == tools_.end()) {
        error = "input_json_delta for block " + std::to_string(index) + ", which is not a tool_use";
        return false;
      }
      const auto piece = stringAt(*delta, "partial_json");
      if (!budget_.take(piece.size(), error)) return false;
      it->second.json.append(piece);
    }
    return true;  // thinking_delta, signature_delta, citations: not for speech
  }
  return true;  // event types added later are ignored, as Anthropic asks clients to
}

bool AnthropicStreamDecoder::actions(std::vector<ModelAction>& out, std::string& error) const {
  for (const auto& [index, tool] : tools_) {
    if (!appendStreamedToolCall("tool_use", index, tool.name, tool.json, tool.id, out, error)) {
      return false;
    }
  }
  return true;
}

void AnthropicStreamDecoder::addUsage(ModelUsage& usage) const {
  usage.inputTokens = inputTokens_;
  usage.outputTokens = outputTokens_;
  if (!model_.empty()) usage.model = model_;
}

std::string AnthropicStreamDecoder::errorFromBody(std::string_view body) const {
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (!ec && value.is_object()) {
    if (const auto* e = value.get_object().if_contains("error")) return describe(*e);
  }
  return clipText(body);
}

}  // namespace convox::voice

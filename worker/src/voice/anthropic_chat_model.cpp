#include "voice/anthropic_chat_model.hpp"

#include "voice/anthropic_stream_decoder.hpp"
#include "voice/chat_stream.hpp"
#include "voice/chat_tools.hpp"

#include <boost/json/serialize.hpp>

namespace convox::voice {

namespace json = boost::json;

namespace {

// A turn's content: plain text when it is one text, else blocks (a tool's
// result is a tool_result block naming the tool_use it answers).
json::value contentOf(const ChatTurn& turn) {
  if (turn.parts.size() == 1 && turn.parts[0].toolCallId.empty()) return json::string(turn.parts[0].text);
  json::array blocks;
  for (const auto& part : turn.parts) {
    if (part.toolCallId.empty()) {
      blocks.emplace_back(json::object{{"type", "text"}, {"text", part.text}});
    } else {
      blocks.emplace_back(
          json::object{{"type", "tool_result"}, {"tool_use_id", part.toolCallId}, {"content", part.text}});
    }
  }
  return blocks;
}

}  // namespace

AnthropicChatModel::AnthropicChatModel(boost::asio::io_context& io, AnthropicChatSettings settings)
    : io_(io), settings_(std::move(settings)), calibration_(std::make_shared<TokenCalibration>()) {}

AnthropicChatModel::~AnthropicChatModel() { cancel(); }

void AnthropicChatModel::cancel() {
  if (current_) current_->cancel();
  current_.reset();
}

void AnthropicChatModel::warm() { warmChatConnection(io_, settings_); }

std::string AnthropicChatModel::requestBody(const std::vector<ChatMessage>& history) const {
  const auto chat = alternatingChat(history, settings_.systemPrompt);
  json::array messages;
  for (const auto& turn : chat.turns) {
    messages.emplace_back(json::object{{"role", turn.fromUser ? "user" : "assistant"}, {"content", contentOf(turn)}});
  }
  json::object body{{"model", settings_.model},
                    {"max_tokens", settings_.maxTokens.value_or(settings_.defaultMaxTokens)},
                    {"messages", std::move(messages)},
                    {"stream", true}};
  if (!chat.system.empty()) body["system"] = chat.system;
  if (settings_.temperature) body["temperature"] = *settings_.temperature;
  if (settings_.offerTools) {
    json::array tools;
    for (const auto& t : platformTools()) {
      tools.emplace_back(
          json::object{{"name", t.name}, {"description", t.description}, {"input_schema", toolArgumentsSchema(t)}});
    }
    body["tools"] = std::move(tools);
  }
  return json::serialize(body);
}

void AnthropicChatModel::reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) {
  cancel();  // a new turn replaces one still streaming
  ChatStreamRequest request;
  request.label = "anthropic";
  request.url = settings_.baseUrl + "/v1/messages";
  request.headers.emplace_back("anthropic-version", "2023-06-01");
  if (!settings_.apiKey.empty()) request.headers.emplace_back("x-api-key", settings_.apiKey);
  request.body = requestBody(history);
  current_ = startChatStream(io_, settings_, std::move(request),
                             std::make_unique<AnthropicStreamDecoder>(settings_.maxReplyBytes), std::move(callbacks),
                             calibration_);
}

}  // namespace convox::voice

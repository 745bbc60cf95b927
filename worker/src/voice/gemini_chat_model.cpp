#include "voice/gemini_chat_model.hpp"

#include "voice/chat_stream.hpp"
#include "voice/chat_tools.hpp"
#include "voice/gemini_stream_decoder.hpp"

#include <boost/json/serialize.hpp>

#include <cctype>
#include <cstdio>

namespace convox::voice {

namespace json = boost::json;

namespace {

// The model goes into the path: anything but a plain name is escaped, so a
// document's model cannot reach another method.
std::string pathSegment(std::string_view model) {
  if (model.starts_with("models/")) model.remove_prefix(7);
  std::string out;
  for (const char c : model) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') {
      out += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
      out += escaped;
    }
  }
  return out;
}

}  // namespace

GeminiChatModel::GeminiChatModel(boost::asio::io_context& io, GeminiChatSettings settings)
    : io_(io), settings_(std::move(settings)), calibration_(std::make_shared<TokenCalibration>()) {}

GeminiChatModel::~GeminiChatModel() { cancel(); }

void GeminiChatModel::cancel() {
  if (current_) current_->cancel();
  current_.reset();
}

void GeminiChatModel::warm() { warmChatConnection(io_, settings_); }

std::string GeminiChatModel::requestUrl() const {
  return settings_.baseUrl + "/v1beta/models/" + pathSegment(settings_.model) + ":streamGenerateContent?alt=sse";
}

std::string GeminiChatModel::requestBody(const std::vector<ChatMessage>& history) const {
  const auto chat = alternatingChat(history, settings_.systemPrompt);
  json::array contents;
  for (const auto& turn : chat.turns) {
    json::array parts;
    for (const auto& part : turn.parts) {
      // A functionResponse part must name the function, which the history
      // does not keep; the result goes as text naming the call instead.
      parts.emplace_back(json::object{
          {"text", part.toolCallId.empty() ? part.text : "Result of tool call " + part.toolCallId + ": " + part.text}});
    }
    contents.emplace_back(json::object{{"role", turn.fromUser ? "user" : "model"}, {"parts", std::move(parts)}});
  }
  json::object body{{"contents", std::move(contents)}};
  if (!chat.system.empty()) {
    body["systemInstruction"] = json::object{{"parts", json::array{json::object{{"text", chat.system}}}}};
  }
  if (settings_.offerTools) {
    json::array declarations;
    for (const auto& t : platformTools()) {
      declarations.emplace_back(
          json::object{{"name", t.name}, {"description", t.description}, {"parameters", toolArgumentsSchema(t)}});
    }
    body["tools"] = json::array{json::object{{"functionDeclarations", std::move(declarations)}}};
  }
  json::object generation;
  if (settings_.temperature) generation["temperature"] = *settings_.temperature;
  if (settings_.maxTokens) generation["maxOutputTokens"] = *settings_.maxTokens;
  if (!generation.empty()) body["generationConfig"] = std::move(generation);
  return json::serialize(body);
}

void GeminiChatModel::reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) {
  cancel();  // a new turn replaces one still streaming
  ChatStreamRequest request;
  request.label = "gemini";
  request.url = requestUrl();
  if (!settings_.apiKey.empty()) request.headers.emplace_back("x-goog-api-key", settings_.apiKey);
  request.body = requestBody(history);
  current_ = startChatStream(io_, settings_, std::move(request),
                             std::make_unique<GeminiStreamDecoder>(settings_.maxReplyBytes), std::move(callbacks),
                             calibration_);
}

}  // namespace convox::voice

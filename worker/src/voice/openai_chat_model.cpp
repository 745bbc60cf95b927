#include "voice/openai_chat_model.hpp"

#include "voice/chat_stream.hpp"
#include "voice/chat_stream_decoder.hpp"
#include "voice/chat_tools.hpp"

#include <boost/json/serialize.hpp>

namespace convox::voice {

namespace json = boost::json;

OpenAiChatSettings openAiChatSettingsFrom(const agent_config::AgentSettings& agent, const std::string& apiKey) {
  OpenAiChatSettings s;
  if (!agent.llm.model.empty()) s.model = agent.llm.model;
  s.temperature = agent.llmTemperature;
  s.maxTokens = agent.llmMaxTokens;
  const auto& config = agent.llm.config;
  if (const auto* url = config.if_contains("base_url"); url && url->is_string()) s.baseUrl = url->get_string();
  while (!s.baseUrl.empty() && s.baseUrl.back() == '/') s.baseUrl.pop_back();
  // Never from the document: the control API returns agent documents, and a
  // key must not be readable there.
  s.apiKey = apiKey;
  if (!agent.llm.provider.empty()) s.provider = agent.llm.provider;
  return s;
}

OpenAiChatModel::OpenAiChatModel(boost::asio::io_context& io, OpenAiChatSettings settings)
    : io_(io), settings_(std::move(settings)), calibration_(std::make_shared<TokenCalibration>()) {}

OpenAiChatModel::~OpenAiChatModel() { cancel(); }

void OpenAiChatModel::cancel() {
  if (current_) current_->cancel();
  current_.reset();
}

void OpenAiChatModel::warm() { warmChatConnection(io_, settings_); }

std::string OpenAiChatModel::requestBody(const std::vector<ChatMessage>& history) const {
  json::array messages;
  // The cascade keeps the conversation; the instructions are the agent's.
  if (!settings_.systemPrompt.empty() && (history.empty() || history.front().role != "system")) {
    messages.emplace_back(json::object{{"role", "system"}, {"content", settings_.systemPrompt}});
  }
  for (const auto& m : history) {
    json::object msg{{"role", m.role}, {"content", m.content}};
    if (m.role == "tool") msg["tool_call_id"] = m.toolCallId;
    messages.emplace_back(std::move(msg));
  }
  json::object body{{"model", settings_.model},
                    {"messages", std::move(messages)},
                    {"stream", true},
                    {"stream_options", json::object{{"include_usage", true}}}};
  if (settings_.temperature) body["temperature"] = *settings_.temperature;
  if (settings_.maxTokens) body["max_tokens"] = *settings_.maxTokens;
  if (settings_.offerTools) {
    json::array tools;
    for (const auto& t : platformTools()) {
      json::object fn{{"name", t.name}, {"description", t.description}, {"parameters", toolArgumentsSchema(t)}};
      tools.emplace_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    body["tools"] = std::move(tools);
    body["tool_choice"] = "auto";
  }
  return json::serialize(body);
}

void OpenAiChatModel::reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) {
  cancel();  // a new turn replaces one still streaming
  ChatStreamRequest request;
  request.label = "chat completions";
  request.url = settings_.baseUrl + "/chat/completions";
  if (!settings_.apiKey.empty()) {
    const bool bearer = settings_.keyHeader.empty() || settings_.keyHeader == "Authorization";
    request.headers.emplace_back(bearer ? "Authorization" : settings_.keyHeader,
                                 bearer ? "Bearer " + settings_.apiKey : settings_.apiKey);
  }
  request.body = requestBody(history);
  current_ =
      startChatStream(io_, settings_, std::move(request), std::make_unique<ChatStreamDecoder>(settings_.maxReplyBytes),
                      std::move(callbacks), calibration_);
}

}  // namespace convox::voice

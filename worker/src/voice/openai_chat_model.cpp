#include "voice/openai_chat_model.hpp"

#include "common/address_policy.hpp"
#include "voice/chat_stream_decoder.hpp"
#include "voice/http_stream.hpp"
#include "voice/sse_parser.hpp"

#include <boost/json/serialize.hpp>

namespace convox::voice {

namespace json = boost::json;

namespace {

constexpr size_t kMaxErrorBody = size_t{16} * 1024;

json::object functionTool(std::string_view name, std::string_view description, std::string_view reasonText) {
  json::object reason{{"type", "string"}, {"description", reasonText}};
  json::object parameters{{"type", "object"}, {"properties", json::object{{"reason", std::move(reason)}}}};
  json::object fn{{"name", name}, {"description", description}, {"parameters", std::move(parameters)}};
  return {{"type", "function"}, {"function", std::move(fn)}};
}

json::array platformTools() {
  json::array tools;
  tools.emplace_back(functionTool("end_call",
                                  "End the call once the conversation is over: the caller said goodbye, asked to hang "
                                  "up, or there is nothing more to do. Say goodbye first.",
                                  "Why the call ends."));
  tools.emplace_back(functionTool("transfer_to_human",
                                  "Transfer the caller to a human agent when they ask for a person or you cannot help.",
                                  "Why the caller needs a person."));
  return tools;
}

// An error text never carries the key, even when a server echoes it.
std::string redact(std::string text, const std::string& secret) {
  if (secret.size() < 4) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

}  // namespace

struct OpenAiChatModel::Exchange {
  explicit Exchange(const OpenAiChatSettings& s) : decoder(s.maxReplyBytes), apiKey(s.apiKey) {}

  ReplyCallbacks callbacks;
  SseParser sse;
  ChatStreamDecoder decoder;
  std::string apiKey;  // only to redact it from errors
  std::shared_ptr<HttpStream> http;
  ModelUsage usage;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  unsigned status = 0;
  std::string errorBody;
  bool finished = false;

  int64_t elapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  }

  void onBody(std::string_view bytes) {
    if (finished) return;
    if (status < 200 || status >= 300) {
      errorBody.append(bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, errorBody.size())));
      return;
    }
    std::string error;
    const bool ok = sse.feed(
        bytes,
        [&](std::string_view data) {
          if (finished || !error.empty() || decoder.done()) return;
          decoder.onData(
              data,
              [&](std::string_view text) {
                if (usage.firstTokenMs < 0) usage.firstTokenMs = elapsedMs();
                // A copy: the callback may cancel(), which drops `callbacks`.
                auto onText = callbacks.onText;
                if (onText && !finished) onText(text);
              },
              error);
        },
        error);
    if (finished) return;  // cancelled from onText
    if (!ok || !error.empty()) return finish("chat completions: " + error);
    if (decoder.done()) finish("");
  }

  void onEnd(const std::string& httpError) {
    if (finished) return;
    if (status != 0 && (status < 200 || status >= 300)) {
      return finish("chat completions: HTTP " + std::to_string(status) + ": " + errorMessageFromBody(errorBody));
    }
    if (!httpError.empty()) return finish("chat completions: " + httpError);
    finish("chat completions: the stream ended before data: [DONE]");
  }

  void finish(const std::string& error) {
    if (finished) return;
    finished = true;
    if (http) http->cancel();
    http.reset();
    usage.totalMs = elapsedMs();
    usage.inputTokens = decoder.promptTokens();
    usage.outputTokens = decoder.completionTokens();
    if (!decoder.model().empty()) usage.model = decoder.model();
    auto cb = std::move(callbacks);
    std::string finalError = error;
    if (finalError.empty()) {
      std::vector<ModelAction> actions;
      if (decoder.actions(actions, finalError)) {
        for (const auto& a : actions) {
          if (cb.onAction) cb.onAction(a);
        }
      } else {
        finalError = "chat completions: " + finalError;
      }
    }
    if (cb.onDone) cb.onDone(usage, redact(finalError, apiKey));
  }
};

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
    : io_(io), settings_(std::move(settings)) {}

OpenAiChatModel::~OpenAiChatModel() { cancel(); }

void OpenAiChatModel::cancel() {
  if (!current_) return;
  current_->finished = true;  // no callback follows
  current_->callbacks = {};
  if (current_->http) current_->http->cancel();
  current_->http.reset();
  current_.reset();
}

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
    body["tools"] = platformTools();
    body["tool_choice"] = "auto";
  }
  return json::serialize(body);
}

void OpenAiChatModel::reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) {
  cancel();  // a new turn replaces one still streaming
  auto exchange = std::make_shared<Exchange>(settings_);
  exchange->callbacks = std::move(callbacks);
  exchange->usage.provider = settings_.provider;
  exchange->usage.model = settings_.model;
  current_ = exchange;

  HttpStreamRequest request;
  request.url = settings_.baseUrl + "/chat/completions";
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
  if (!settings_.apiKey.empty()) request.headers.emplace_back("Authorization", "Bearer " + settings_.apiKey);
  request.body = requestBody(history);
  request.connectTimeout = settings_.connectTimeout;
  request.idleTimeout = settings_.idleTimeout;
  request.caFile = settings_.caFile;
  if (settings_.publicAddressesOnly) {
    request.refuse = [](const boost::asio::ip::address& a) -> std::optional<std::string> {
      const auto kind = common::nonPublicAddressKind(a);
      if (!kind) return std::nullopt;
      return "a " + std::string(*kind) +
             " address (an agent's llm.config.base_url must be public unless its origin is in "
             "CONVOX_LLM_KEY_ORIGINS)";
    };
  }

  // The handlers hold the exchange, not the model: a model destroyed
  // mid-reply cancels it and nothing dangles.
  HttpStreamHandlers handlers;
  handlers.onStatus = [exchange](unsigned status) { exchange->status = status; };
  handlers.onBody = [exchange](std::string_view bytes) { exchange->onBody(bytes); };
  handlers.onEnd = [exchange](const std::string& error) { exchange->onEnd(error); };
  auto http = startHttpStream(io_, std::move(request), std::move(handlers));
  if (!exchange->finished) exchange->http = std::move(http);
}

}  // namespace convox::voice

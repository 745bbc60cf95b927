#pragma once

// LanguageModel over an OpenAI-compatible chat completions endpoint (OpenAI,
// Ollama, vLLM, llama.cpp's server, Groq): POST {baseUrl}/chat/completions
// with stream: true, the reply read as Server-Sent Events while it arrives.
// Text deltas go out as they come; tool calls (end_call, transfer_to_human,
// offered as functions) are assembled by index and reported at the end as
// ModelActions ("end_call", "transfer"). All I/O on the io_context given (the
// media thread's); nothing blocks it. reply() and cancel() are called on that
// io_context's thread, and the callbacks run there.

#include "voice/chat_model_settings.hpp"
#include "voice/language_model.hpp"

#include "agent_config/agent_settings.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

namespace convox::voice {

class ChatStream;
struct TokenCalibration;

struct OpenAiChatSettings : ChatModelSettings {
  OpenAiChatSettings() {
    baseUrl = "https://api.openai.com/v1";  // without /chat/completions
    provider = "openai";
    model = "gpt-4o-mini";
  }
  // The header that carries the key: "Authorization" gets "Bearer <key>";
  // any other (Sarvam's "api-subscription-key") the key alone.
  std::string keyHeader = "Authorization";
};

// The settings of an agent whose llm provider is OpenAI-compatible: model,
// temperature and max_tokens from the document, `llm.config.base_url` (else
// OpenAI's). The key is the worker's (e.g. its OPENAI_API_KEY), never the
// document's: agent documents are returned by the control API.
OpenAiChatSettings openAiChatSettingsFrom(const agent_config::AgentSettings& agent, const std::string& apiKey);

class OpenAiChatModel : public LanguageModel {
 public:
  OpenAiChatModel(boost::asio::io_context& io, OpenAiChatSettings settings);
  ~OpenAiChatModel() override;
  OpenAiChatModel(const OpenAiChatModel&) = delete;
  OpenAiChatModel& operator=(const OpenAiChatModel&) = delete;

  void reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) override;
  void cancel() override;
  void warm() override;

  // The request body reply() sends (for tests and logs: it holds no key).
  std::string requestBody(const std::vector<ChatMessage>& history) const;

 private:
  // Passed by argument.
  boost::asio::io_context& io_;
  OpenAiChatSettings settings_;
  // Allocated by this.
  std::shared_ptr<ChatStream> current_;
  std::shared_ptr<TokenCalibration> calibration_;  // shared with its replies
};

}  // namespace convox::voice

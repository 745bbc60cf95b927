#pragma once

// LanguageModel over an OpenAI-compatible chat completions endpoint (OpenAI,
// Ollama, vLLM, llama.cpp's server, Groq): POST {baseUrl}/chat/completions
// with stream: true, the reply read as Server-Sent Events while it arrives.
// Text deltas go out as they come; tool calls (end_call, transfer_to_human,
// offered as functions) are assembled by index and reported at the end as
// ModelActions ("end_call", "transfer"). All I/O on the io_context given (the
// media thread's); nothing blocks it. reply() and cancel() are called on that
// io_context's thread, and the callbacks run there.

#include "voice/language_model.hpp"

#include "agent_config/agent_settings.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace convox::voice {

struct OpenAiChatSettings {
  std::string baseUrl = "https://api.openai.com/v1";  // without /chat/completions
  std::string apiKey;                                 // "" = no Authorization header (local servers)
  std::string provider = "openai";                    // for usage records
  std::string model = "gpt-4o-mini";
  std::optional<double> temperature;
  std::optional<int64_t> maxTokens;
  std::string systemPrompt;  // sent first unless the history starts with a system message; "" = none
  std::string caFile;        // PEM CAs to trust besides the system's, for a self-hosted https server
  bool offerTools = true;    // end_call and transfer_to_human
  std::chrono::milliseconds connectTimeout{10000};  // until the response header
  std::chrono::milliseconds idleTimeout{10000};     // between body bytes (a stalled stream)
  size_t maxReplyBytes = size_t{64} * 1024;         // text plus tool arguments; beyond it the reply is cut
  // The base_url came from an agent document and is not an origin the
  // operator trusts: loopback, private and link-local addresses are refused
  // (the cloud metadata endpoint, the control API, the operator's network).
  bool publicAddressesOnly = false;
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

  // The request body reply() sends (for tests and logs: it holds no key).
  std::string requestBody(const std::vector<ChatMessage>& history) const;

 private:
  struct Exchange;

  // Passed by argument.
  boost::asio::io_context& io_;
  OpenAiChatSettings settings_;
  // Allocated by this.
  std::shared_ptr<Exchange> current_;
};

}  // namespace convox::voice

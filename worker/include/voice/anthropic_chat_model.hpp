#pragma once

// LanguageModel over Anthropic's Messages API, streamed: POST
// {baseUrl}/v1/messages with `x-api-key` and `anthropic-version: 2023-06-01`,
// the instructions in the top-level `system`, the turns alternating user and
// assistant, the platform's tools with `input_schema`. The reply arrives as
// typed Server-Sent Events (message_start, content_block_start/delta/stop,
// message_delta, message_stop, ping, error); text deltas go out as they come,
// tool_use blocks are assembled per block index and reported at the end as
// ModelActions. Same threading as OpenAiChatModel: all on the io_context given.

#include "voice/chat_model_settings.hpp"
#include "voice/language_model.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace convox::voice {

class ChatStream;
struct TokenCalibration;

struct AnthropicChatSettings : ChatModelSettings {
  AnthropicChatSettings() {
    baseUrl = "https://api.anthropic.com";  // without /v1/messages
    provider = "anthropic";
    model = "claude-haiku-4-5";
  }
  // max_tokens is required by the API: the agent's, else this.
  int64_t defaultMaxTokens = 1024;
};

class AnthropicChatModel : public LanguageModel {
 public:
  AnthropicChatModel(boost::asio::io_context& io, AnthropicChatSettings settings);
  ~AnthropicChatModel() override;
  AnthropicChatModel(const AnthropicChatModel&) = delete;
  AnthropicChatModel& operator=(const AnthropicChatModel&) = delete;

  void reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) override;
  void cancel() override;
  void warm() override;

  // The request body reply() sends (it holds no key).
  std::string requestBody(const std::vector<ChatMessage>& history) const;

 private:
  // Passed by argument.
  boost::asio::io_context& io_;
  AnthropicChatSettings settings_;
  // Allocated by this.
  std::shared_ptr<ChatStream> current_;
  std::shared_ptr<TokenCalibration> calibration_;  // shared with its replies
};

}  // namespace convox::voice

#pragma once

// LanguageModel over Google's Gemini API, streamed: POST
// {baseUrl}/v1beta/models/{model}:streamGenerateContent?alt=sse with
// `x-goog-api-key`; the instructions in `systemInstruction`, the turns as
// `contents` alternating user and model, the platform's tools as
// functionDeclarations, temperature and max tokens in generationConfig. Each
// SSE event is a GenerateContentResponse: text parts go out as they come,
// functionCall parts (whole, with object args) become ModelActions at the
// end, usageMetadata is a running total. The stream has no end marker: the
// body's end after a finishReason is the end. Same threading as
// OpenAiChatModel: all on the io_context given.

#include "voice/chat_model_settings.hpp"
#include "voice/language_model.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

namespace convox::voice {

class ChatStream;
struct TokenCalibration;

struct GeminiChatSettings : ChatModelSettings {
  GeminiChatSettings() {
    baseUrl = "https://generativelanguage.googleapis.com";  // without /v1beta
    provider = "gemini";
    model = "gemini-2.5-flash";
  }
};

class GeminiChatModel : public LanguageModel {
 public:
  GeminiChatModel(boost::asio::io_context& io, GeminiChatSettings settings);
  ~GeminiChatModel() override;
  GeminiChatModel(const GeminiChatModel&) = delete;
  GeminiChatModel& operator=(const GeminiChatModel&) = delete;

  void reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) override;
  void cancel() override;
  void warm() override;

  // The request body and URL reply() sends (they hold no key).
  std::string requestBody(const std::vector<ChatMessage>& history) const;
  std::string requestUrl() const;

 private:
  // Passed by argument.
  boost::asio::io_context& io_;
  GeminiChatSettings settings_;
  // Allocated by this.
  std::shared_ptr<ChatStream> current_;
  std::shared_ptr<TokenCalibration> calibration_;  // shared with its replies
};

}  // namespace convox::voice

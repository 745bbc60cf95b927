#pragma once

// The part of a streamed chat reply every provider shares: POST the request,
// collect an error body (with retry-after) or feed the Server-Sent Events to
// the provider's decoder, time the first token, end once with usage, actions
// and an error that names the provider and never the key, and cancel at once
// on barge-in. A provider client only builds the request and decodes its
// events (ChatEventDecoder).

#include "voice/chat_model_settings.hpp"
#include "voice/http_stream.hpp"
#include "voice/language_model.hpp"

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

// One provider's reading of its event stream, one SSE data payload at a time.
class ChatEventDecoder {
 public:
  using TextSink = std::function<void(std::string_view text)>;
  virtual ~ChatEventDecoder() = default;
  // False with `error` set when the payload is malformed, reports an error,
  // or the reply grows past its limit.
  virtual bool onData(std::string_view data, const TextSink& onText, std::string& error) = 0;
  // The stream's own end marker came ([DONE], message_stop).
  virtual bool done() const = 0;
  // A tool call has begun streaming: the model is answering, though with no
  // text yet (its actions come at the end).
  virtual bool callingTools() const = 0;
  // The body ended as HTTP says it ends but done() is false: "" when that is
  // the API's normal end (Gemini has no marker), else why it is not.
  virtual std::string endedWithoutDone() const = 0;
  // The tool calls as the platform's actions; false when one is malformed.
  virtual bool actions(std::vector<ModelAction>& out, std::string& error) const = 0;
  virtual void addUsage(ModelUsage& usage) const = 0;  // tokens and the model as the server named it
  // The bytes of output the model streamed so far, text and tool calls (what
  // output tokens are estimated from when the stream gave no count).
  virtual size_t outputBytes() const = 0;
  // The reason in an HTTP error body.
  virtual std::string errorFromBody(std::string_view body) const = 0;
};

// The text and tool arguments of a reply, bounded.
class ReplyBudget {
 public:
  explicit ReplyBudget(size_t maxBytes) : maxBytes_(maxBytes) {}
  bool take(size_t bytes, std::string& error);
  size_t used() const { return used_; }

 private:
  size_t maxBytes_;
  size_t used_ = 0;
};

class ChatStream {
 public:
  virtual ~ChatStream() = default;
  // No callback follows. A reply the server had accepted reports its usage
  // to the settings' cutReplyUsage: the counts the stream gave so far
  // (Anthropic sends the input tokens first), else estimates from the
  // request's and the streamed output's sizes (text and tool calls) at the
  // tokens-per-byte ratios the model's last complete reply showed
  // (TokenCalibration); those, and only those, are reported with
  // `estimated` set. A reply the server accepted that ends in an error
  // reports to onDone the same way.
  virtual void cancel() = 0;
};

// Tokens per byte of request and of streamed reply, as a model's last
// complete reply reported them; until then a quarter (about four characters
// a token in English), which overcounts the request's JSON a little.
struct TokenCalibration {
  double inputPerByte = 0.25;
  double outputPerByte = 0.25;
};

struct ChatStreamRequest {
  std::string label;  // every error starts "<label>: " ("anthropic", "gemini", "chat completions")
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and Accept
  std::string body;
};

// Opens the connection to the model's server in advance (LanguageModel::warm).
void warmChatConnection(boost::asio::io_context& io, const ChatModelSettings& settings);

// Starts the reply on `io`; the callbacks run there. The settings give the
// timeouts, the CA file, the address policy, and the key to redact.
// `calibration` is the model's, shared with its replies.
std::shared_ptr<ChatStream> startChatStream(boost::asio::io_context& io, const ChatModelSettings& settings,
                                            ChatStreamRequest request, std::unique_ptr<ChatEventDecoder> decoder,
                                            ReplyCallbacks callbacks, std::shared_ptr<TokenCalibration> calibration);

}  // namespace convox::voice

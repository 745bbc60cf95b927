#pragma once

// The conversation's "brain" behind one small interface: the offline rule
// engine and OpenAI-compatible chat completions both stream a reply in text
// deltas, may end the call or ask for a transfer (tools), and report usage.
// A reply runs on the caller's thread through callbacks: a network model
// drives its own I/O on the io_context it was given; the rule engine answers
// at once. cancel() stops a reply in progress (barge-in); no callback of a
// cancelled reply follows.

#include "voice/provider_usage.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace convox::voice {

struct ChatMessage {
  std::string role;  // system | user | assistant | tool
  std::string content;
  std::string toolCallId;  // role tool: the call this answers
};

// An action the model asked for (a tool call), in the platform's terms.
struct ModelAction {
  std::string name;  // end_call | transfer | set_results | or a tool the agent defines
  boost::json::object arguments;
};

struct ModelUsage {
  int64_t inputTokens = 0;
  int64_t outputTokens = 0;
  // The count is an estimate, not the provider's (a reply cut before its
  // usage came); reported as estimated usage records.
  bool inputEstimated = false;
  bool outputEstimated = false;
  int64_t firstTokenMs = -1;  // from request to first text delta
  int64_t totalMs = 0;
  std::string model;
  std::string provider;
};

struct ReplyCallbacks {
  std::function<void(std::string_view delta)> onText;
  std::function<void(const ModelAction& action)> onAction;
  // Once, when the reply starts with a tool call rather than text: the model
  // answered in time, though its actions come only with the end.
  std::function<void()> onToolCallStarted;
  // Once, at the end: `error` empty on success (partial text may have come before an error).
  std::function<void(const ModelUsage& usage, const std::string& error)> onDone;
};

// A reply's tokens as usage records (one per unit with a count).
void reportModelUsage(const UsageSink& sink, const ModelUsage& usage);

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  // `history` ends with the user's turn; the system prompt, if any, first.
  virtual void reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) = 0;
  virtual void cancel() = 0;
  // At the call's start: a network model opens its connection now, so the
  // first reply does not pay for DNS, TCP and TLS. Local models need nothing.
  virtual void warm() {}
};

}  // namespace convox::voice

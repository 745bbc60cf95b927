#pragma once

// What the chat-model tests (OpenAI-compatible, Anthropic, Gemini) collect
// from a reply, and the callbacks that collect it: the same for every
// provider, so each test file keeps only its provider's wire format.

#include "voice/language_model.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convox::voice::testing {

struct ReplyOutcome {
  std::string text;
  std::vector<std::string> deltas;
  std::vector<ModelAction> actions;
  std::optional<std::string> error;  // set once onDone ran
  ModelUsage usage;
  int doneCalls = 0;
  int toolCallStarts = 0;
};

// Fills `out`; onDone stops `io`.
inline ReplyCallbacks collectInto(ReplyOutcome& out, boost::asio::io_context& io) {
  ReplyCallbacks cb;
  cb.onText = [&out](std::string_view d) {
    out.text += d;
    out.deltas.emplace_back(d);
  };
  cb.onAction = [&out](const ModelAction& a) { out.actions.push_back(a); };
  cb.onToolCallStarted = [&out] { ++out.toolCallStarts; };
  cb.onDone = [&out, &io](const ModelUsage& u, const std::string& e) {
    out.usage = u;
    out.error = e;
    ++out.doneCalls;
    io.stop();
  };
  return cb;
}

// One reply of a `Model` made from `settings`, run until it is done (or 8 s).
template <class Model, class Settings>
ReplyOutcome replyOnce(boost::asio::io_context& io, Settings settings, const std::vector<ChatMessage>& history) {
  Model model(io, std::move(settings));
  ReplyOutcome out;
  model.reply(history, collectInto(out, io));
  io.run_for(std::chrono::milliseconds(8000));
  return out;
}

}  // namespace convox::voice::testing

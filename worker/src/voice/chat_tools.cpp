#include "voice/chat_tools.hpp"

#include <boost/json/parse.hpp>

#include <array>

namespace convox::voice {

namespace json = boost::json;

namespace {

constexpr std::array<PlatformTool, 2> kTools{{
    {"end_call",
     "End the call once the conversation is over: the caller said goodbye, asked to hang up, or there is nothing "
     "more to do. Say goodbye first.",
     "Why the call ends."},
    {"transfer_to_human", "Transfer the caller to a human agent when they ask for a person or you cannot help.",
     "Why the caller needs a person."},
}};

}  // namespace

std::span<const PlatformTool> platformTools() { return kTools; }

json::object toolArgumentsSchema(const PlatformTool& tool) {
  json::object reason{{"type", "string"}, {"description", tool.reasonText}};
  return {{"type", "object"}, {"properties", json::object{{"reason", std::move(reason)}}}};
}

ModelAction actionFromToolCall(std::string_view name, json::object arguments, std::string_view callId) {
  if (!callId.empty()) arguments["tool_call_id"] = callId;
  if (name == "end_call") return {"end_call", std::move(arguments)};
  if (name == "transfer_to_human") {
    if (!arguments.contains("target")) arguments["target"] = "";
    return {"transfer", std::move(arguments)};
  }
  return {std::string(name), std::move(arguments)};
}

bool appendStreamedToolCall(std::string_view kind, size_t index, const std::string& name,
                            const std::string& argumentsJson, std::string_view callId, std::vector<ModelAction>& out,
                            std::string& error) {
  if (name.empty()) {
    error = std::string(kind) + " " + std::to_string(index) + " has no name";
    return false;
  }
  json::object arguments;
  if (!argumentsJson.empty()) {
    boost::system::error_code ec;
    auto parsed = json::parse(argumentsJson, ec);
    if (ec || !parsed.is_object()) {
      error = std::string(kind) + " " + name + ": the arguments are not a JSON object";
      return false;
    }
    arguments = std::move(parsed.get_object());
  }
  out.push_back(actionFromToolCall(name, std::move(arguments), callId));
  return true;
}

AlternatingChat alternatingChat(const std::vector<ChatMessage>& history, const std::string& systemPrompt) {
  AlternatingChat chat;
  const bool ownSystem = !history.empty() && history.front().role == "system";
  if (!ownSystem) chat.system = systemPrompt;
  for (const auto& m : history) {
    if (m.role == "system") {
      if (m.content.empty()) continue;
      if (!chat.system.empty()) chat.system += "\n\n";
      chat.system += m.content;
      continue;
    }
    const bool tool = m.role == "tool";
    if (m.content.empty() && !tool) continue;  // both APIs refuse empty text
    const bool fromUser = m.role != "assistant";
    if (chat.turns.empty() && !fromUser) chat.turns.push_back({true, {{std::string(kCallStartedText), ""}}});
    if (chat.turns.empty() || chat.turns.back().fromUser != fromUser) chat.turns.push_back({fromUser, {}});
    chat.turns.back().parts.push_back({m.content, tool ? m.toolCallId : std::string()});
  }
  return chat;
}

}  // namespace convox::voice

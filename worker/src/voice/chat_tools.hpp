#pragma once

// What every chat model client shares beyond the wire: the platform's tools
// (one list, each provider wraps it in its own schema envelope), the mapping
// of a tool call back to a ModelAction, and the history shaped for APIs that
// take the instructions apart from the turns and want strict user/assistant
// alternation (Anthropic Messages, Gemini).

#include "voice/language_model.hpp"

#include <boost/json/object.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

struct PlatformTool {
  std::string_view name;
  std::string_view description;
  std::string_view reasonText;  // the description of its one argument, `reason`
};

// end_call and transfer_to_human.
std::span<const PlatformTool> platformTools();

// The JSON schema of a tool's arguments ({"type":"object","properties":{"reason":...}}),
// which OpenAI calls `parameters`, Anthropic `input_schema` and Gemini `parameters`.
boost::json::object toolArgumentsSchema(const PlatformTool& tool);

// A tool call as the platform's action: end_call -> "end_call",
// transfer_to_human -> "transfer" (target "" = a human), other names as they
// are. `callId` ("" = none) goes into the arguments as tool_call_id.
ModelAction actionFromToolCall(std::string_view name, boost::json::object arguments, std::string_view callId);

// A streamed tool call (its arguments assembled as JSON text; "" = none) as
// an action appended to `out`; false with `error` when it has no name or its
// arguments are not a JSON object. `kind` names it in the error ("tool
// call", "tool_use"), with its stream `index` when it has no name.
bool appendStreamedToolCall(std::string_view kind, size_t index, const std::string& name,
                            const std::string& argumentsJson, std::string_view callId, std::vector<ModelAction>& out,
                            std::string& error);

struct ChatPart {
  std::string text;
  std::string toolCallId;  // set: the result of that tool call
};

struct ChatTurn {
  bool fromUser = true;  // user (and tool results) or assistant
  std::vector<ChatPart> parts;
};

struct AlternatingChat {
  std::string system;  // "" = none
  std::vector<ChatTurn> turns;
};

// The text a turn gets when the conversation starts with the agent speaking
// (its greeting): both APIs want the user first.
inline constexpr std::string_view kCallStartedText = "[The call has started.]";

// The history (system prompt first unless it brings its own system message)
// as alternating turns: system messages become the instructions, tool results
// user parts, consecutive turns of one side are merged, empty texts dropped,
// and a user turn leads.
AlternatingChat alternatingChat(const std::vector<ChatMessage>& history, const std::string& systemPrompt);

}  // namespace convox::voice

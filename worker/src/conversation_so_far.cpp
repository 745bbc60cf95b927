#include "conversation_so_far.hpp"

#include <algorithm>
#include <charconv>

namespace convox::worker {

uint64_t turnNumber(std::string_view turnId) {
  if (turnId.size() < 3 || (turnId[0] != 'u' && turnId[0] != 'a')) return 0;
  const auto underscore = turnId.find('_');
  if (underscore == std::string_view::npos || underscore < 2) return 0;
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(turnId.data() + 1, turnId.data() + underscore, n);
  if (ec != std::errc() || end != turnId.data() + underscore) return 0;
  return n;
}

boost::system::result<ConversationSoFar, std::string> conversationSoFar(const boost::json::value& conversation,
                                                                        const boost::json::value& turns) {
  if (!conversation.is_object()) return std::string("the conversation is not a JSON object");
  if (!turns.is_object() || !turns.as_object().contains("turns") || !turns.at("turns").is_array()) {
    return std::string("the turns response has no \"turns\" array");
  }
  ConversationSoFar out;
  if (const auto* results = conversation.as_object().if_contains("results"); results && results->is_object()) {
    out.results = results->as_object();
  }
  // The control API lists turns by started_at, then turn_id: the order they were spoken in.
  for (const auto& item : turns.at("turns").as_array()) {
    const auto* turn = item.if_object();
    if (!turn) return std::string("a stored turn is not a JSON object");
    const auto* id = turn->if_contains("turn_id");
    const auto* role = turn->if_contains("role");
    if (!id || !id->is_string() || !role || !role->is_string()) {
      return std::string("a stored turn has no turn_id or role");
    }
    ++out.turnsStored;
    out.lastTurnNumber = std::max(out.lastTurnNumber, turnNumber(id->get_string()));
    const auto* text = turn->if_contains("text");
    const auto* redacted = turn->if_contains("redacted");
    const bool hasText = text && text->is_string() && !text->get_string().empty() &&
                         !(redacted && redacted->is_bool() && redacted->get_bool());
    const bool user = role->get_string() == "user";
    out.unanswered = user && hasText ? std::string(text->get_string()) : std::string();
    out.unansweredTimings.clear();
    if (const auto* timings = turn->if_contains("timings"); user && hasText && timings && timings->is_object()) {
      out.unansweredTimings = timings->as_object();
    }
    if (hasText) out.history.push_back({user ? "user" : "assistant", std::string(text->get_string()), {}});
  }
  // Ids of other writers (or none of ours): the numbering still moves past every stored turn.
  out.lastTurnNumber = std::max(out.lastTurnNumber, out.turnsStored);
  return out;
}

}  // namespace convox::worker

#pragma once

// What a re-dispatched job continues from. When a worker dies mid-call the
// dispatcher offers the same job (same id, same metadata) again; the new
// worker reads the conversation as the control API stored it and carries on
// from the last stored turn instead of greeting the caller a second time.

#include "voice/language_model.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace convox::worker {

struct ConversationSoFar {
  // The stored turns in order: user -> "user", agent -> "assistant". Turns
  // stored without text (privacy.no_logging) cannot be replayed and are left out.
  std::vector<voice::ChatMessage> history;
  boost::json::object results;  // the result fields collected so far
  uint64_t turnsStored = 0;
  uint64_t lastTurnNumber = 0;  // the highest n of the worker's "u<n>_..." / "a<n>_..." ids
  // The last stored turn is the user's and has text: the agent was cut off
  // before answering it, so the new agent answers it first.
  std::string unanswered;
  // Its stored timings (user_speech_start, ..., stt_final), for the answer's
  // agent turn; empty when it has none.
  boost::json::object unansweredTimings;

  // False for a call that has not said anything yet: it starts fresh.
  bool resumed() const { return turnsStored > 0; }
};

// From the bodies of GET /v1/conversations/{id} and GET .../turns; an error
// with the reason when either is not what the control API returns.
boost::system::result<ConversationSoFar, std::string> conversationSoFar(const boost::json::value& conversation,
                                                                        const boost::json::value& turns);

// The n of a turn id the worker made ("u12_abc" -> 12); 0 for any other id.
uint64_t turnNumber(std::string_view turnId);

}  // namespace convox::worker

#pragma once

// An agent's webhook targets in one shape, whichever form its document uses:
// today's list `[{url, secret, events?, include_transcript?}]` or the seed's
// `{on_call_end, on_transcript_ready, secret?}`.

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace convox::control_api {

struct WebhookTarget {
  std::string url;
  std::string secret;  // "" = deliveries are not signed (the seed form without a secret)
  std::vector<std::string> events;
  bool includeTranscript = false;
};

// `config` is a stored (validated) agent document.
std::vector<WebhookTarget> webhookTargetsOf(const boost::json::object& config);

}  // namespace convox::control_api

#include "webhook_targets.hpp"

#include "control_api/agent_config.hpp"

#include <boost/json.hpp>

namespace convox::control_api {

namespace json = boost::json;

std::vector<WebhookTarget> webhookTargetsOf(const json::object& config) {
  std::vector<WebhookTarget> out;
  const auto* hooks = config.if_contains("webhooks");
  if (!hooks) return out;
  if (hooks->is_object()) {
    // The seed's form: on_call_end gets call.ended, on_transcript_ready gets
    // transcript.ready with the transcript (that is what it is for).
    const auto& byEvent = hooks->get_object();
    const auto* secret = byEvent.if_contains("secret");
    const std::string key = secret && secret->is_string() ? std::string(secret->get_string()) : std::string();
    if (const auto* url = byEvent.if_contains("on_call_end"); url && url->is_string()) {
      out.push_back({std::string(url->get_string()), key, {"call.ended"}, false});
    }
    if (const auto* url = byEvent.if_contains("on_transcript_ready"); url && url->is_string()) {
      out.push_back({std::string(url->get_string()), key, {"transcript.ready"}, true});
    }
    return out;
  }
  if (!hooks->is_array()) return out;
  for (const auto& value : hooks->get_array()) {
    if (!value.is_object()) continue;
    const auto& hook = value.get_object();
    WebhookTarget target;
    if (const auto* url = hook.if_contains("url"); url && url->is_string()) target.url = std::string(url->get_string());
    if (const auto* s = hook.if_contains("secret"); s && s->is_string()) target.secret = std::string(s->get_string());
    if (const auto* events = hook.if_contains("events"); events && events->is_array()) {
      for (const auto& e : events->get_array()) {
        if (e.is_string()) target.events.emplace_back(e.get_string());
      }
    } else {
      target.events = webhookEventNames();
    }
    if (const auto* t = hook.if_contains("include_transcript"); t && t->is_bool())
      target.includeTranscript = t->get_bool();
    out.push_back(std::move(target));
  }
  return out;
}

}  // namespace convox::control_api

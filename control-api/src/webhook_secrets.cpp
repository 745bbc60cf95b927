#include "webhook_secrets.hpp"

#include "common/logging.hpp"

#include <boost/json.hpp>

namespace convox::control_api {

namespace json = boost::json;

namespace {

// Calls `f` on each webhook secret value of the document, both forms.
template <class F>
void forEachSecret(json::object& document, F&& f) {
  auto* hooks = document.if_contains("webhooks");
  if (hooks == nullptr) return;
  if (hooks->is_object()) {
    if (auto* s = hooks->as_object().if_contains("secret"); s && s->is_string()) f(s->as_string());
    return;
  }
  if (!hooks->is_array()) return;
  for (auto& hook : hooks->as_array()) {
    if (!hook.is_object()) continue;
    if (auto* s = hook.as_object().if_contains("secret"); s && s->is_string()) f(s->as_string());
  }
}

bool sealed(std::string_view value) { return value.starts_with(kSealedSecretPrefix); }

}  // namespace

std::string webhookSecretContext(std::string_view teamId, std::string_view agentId) {
  std::string out = "webhook-secret:";
  out += teamId;
  out += '/';
  out += agentId;
  return out;
}

void sealWebhookSecrets(json::object& document, const SecretBox& box, std::string_view context, std::string_view keep,
                        bool onlyClear) {
  forEachSecret(document, [&](json::string& secret) {
    const std::string_view value(secret);
    if (value == keep || value.empty() || (onlyClear && sealed(value))) return;
    secret = std::string(kSealedSecretPrefix) + box.seal(value, context);
  });
}

boost::system::result<std::string, std::string> openWebhookSecret(const std::string& stored, const SecretBox* box,
                                                                  std::string_view context) {
  using Result = boost::system::result<std::string, std::string>;
  if (!sealed(stored)) return Result(boost::system::in_place_value, stored);
  if (box == nullptr) {
    return Result(boost::system::in_place_error, "the secret is sealed, and this server has no encryption key");
  }
  return box->open(std::string_view(stored).substr(kSealedSecretPrefix.size()), context);
}

size_t sealStoredWebhookSecrets(Repository& repository, const SecretBox& box) {
  size_t changed = 0;
  for (auto& [teamId, agent] : repository.findAgentsContaining("\"secret\"")) {
    boost::system::error_code ec;
    auto parsed = json::parse(agent.configJson, ec);
    if (ec || !parsed.is_object()) continue;
    auto& document = parsed.as_object();
    bool clear = false;
    forEachSecret(document, [&](json::string& s) { clear = clear || (!s.empty() && !sealed(s)); });
    if (!clear) continue;
    sealWebhookSecrets(document, box, webhookSecretContext(teamId, agent.id), {}, true);
    if (repository.rewriteAgentConfig(teamId, agent.id, agent.version, json::serialize(document))) ++changed;
  }
  if (changed > 0) common::logger("api")->info("sealed the webhook secrets of {} agents stored in clear", changed);
  return changed;
}

}  // namespace convox::control_api

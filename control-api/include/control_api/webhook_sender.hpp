#pragma once

// Delivers an agent's webhooks for a conversation's events: POSTs signed
// with HMAC-SHA256 over "<timestamp>.<body>" with the target's secret
// (header Convox-Signature: t=<unix seconds>,v1=<hex>), retried with
// exponential backoff, every attempt written to the delivery log. Runs on its
// own thread, so a slow receiver never holds up the API.

#include "control_api/repository.hpp"
#include "control_api/secret_box.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace convox::control_api {

struct WebhookDeliverySettings {
  uint32_t maxAttempts = 5;
  std::chrono::milliseconds firstRetry{500};  // doubles after each failure
  std::chrono::milliseconds requestTimeout{5000};
  // Off: targets that resolve to loopback, private or link-local addresses
  // are refused (logged as such, not retried), so a team cannot make the
  // server call its own network.
  bool allowPrivateNetworks = false;
};

class WebhookSender {
 public:
  // `secrets` opens the agents' sealed webhook secrets (webhook_secrets.hpp).
  WebhookSender(Repository& repository, WebhookDeliverySettings settings = {},
                std::optional<SecretBox> secrets = std::nullopt);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // The conversation moved to `after.status`: sends call.started,
  // call.ended and transcript.ready to the agent's subscribed targets.
  void conversationChanged(const std::string& teamId, const ConversationRecord& after);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// "t=<t>,v1=<hex HMAC-SHA256(secret, t + "." + body)>"
std::string webhookSignature(const std::string& secret, int64_t unixSeconds, const std::string& body);

}  // namespace convox::control_api

#pragma once

// Agent webhook signing secrets at rest. The stored agent document holds
// each secret sealed with the server's SecretBox ("sealed:" + the box's
// base64), bound to its team and agent, so neither a database dump nor a
// value copied to another agent yields it. Responses never carry it (the
// routes mask it); the webhook sender opens it to sign a delivery.

#include "control_api/repository.hpp"
#include "control_api/secret_box.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace convox::control_api {

inline constexpr std::string_view kSealedSecretPrefix = "sealed:";

// The associated data an agent's webhook secrets are sealed with.
std::string webhookSecretContext(std::string_view teamId, std::string_view agentId);

// Seals every webhook secret of `document` (the list form's and the seed
// form's) except those equal to `keep` (the mask a client sends back for a
// stored secret) and, when `onlyClear`, those already sealed.
void sealWebhookSecrets(boost::json::object& document, const SecretBox& box, std::string_view context,
                        std::string_view keep, bool onlyClear);

// The secret a delivery signs with: a sealed value opened, or the value
// itself if it was stored before secrets were sealed (or without a box).
boost::system::result<std::string, std::string> openWebhookSecret(const std::string& stored, const SecretBox* box,
                                                                  std::string_view context);

// Seals the secrets stored in clear (by an earlier version, or by a server
// that ran without an encryption key); returns how many agents changed. A
// concurrent update of an agent wins: that agent is left for the next start.
size_t sealStoredWebhookSecrets(Repository& repository, const SecretBox& box);

}  // namespace convox::control_api

// GET /v1/conversations/{id}/provider-credentials: the worker's
// least-privilege read. With its job's token, while the call is live, it
// gets the decrypted credentials of the providers its agent names (each
// stage's provider, the stage's `fallback` choices, `languages[].tts_provider`)
// and nothing else: no other provider of the team, no other conversation's.
#include "common/logging.hpp"
#include "provider_catalogue.hpp"
#include "routes.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace convox::control_api {
namespace {

struct NamedProvider {
  std::string id;
  std::vector<std::string> stages;
};

void add(std::vector<NamedProvider>& out, std::string_view id, std::string_view stage) {
  if (id.empty()) return;
  auto it = std::find_if(out.begin(), out.end(), [id](const NamedProvider& p) { return p.id == id; });
  if (it == out.end()) it = out.insert(out.end(), {std::string(id), {}});
  if (std::find(it->stages.begin(), it->stages.end(), stage) == it->stages.end()) it->stages.emplace_back(stage);
}

// A provider choice: {"provider": "..."} or, in a fallback list, the bare name.
std::string_view choiceName(const json::value& v) {
  if (v.is_string()) return v.get_string();
  if (!v.is_object()) return {};
  const auto* p = v.get_object().if_contains("provider");
  return p && p->is_string() ? std::string_view(p->get_string()) : std::string_view();
}

// In the order the document names them: stt, llm, tts, each with its fallbacks.
std::vector<NamedProvider> providersNamedBy(const json::object& agent) {
  std::vector<NamedProvider> out;
  for (const char* stage : {"stt", "llm", "tts"}) {
    const auto* section = agent.if_contains(stage);
    if (!section || !section->is_object()) continue;
    add(out, choiceName(*section), stage);
    const auto* fallback = section->get_object().if_contains("fallback");
    if (fallback && fallback->is_array()) {
      for (const auto& choice : fallback->get_array()) add(out, choiceName(choice), stage);
    }
  }
  if (const auto* languages = agent.if_contains("languages"); languages && languages->is_array()) {
    for (const auto& l : languages->get_array()) {
      const auto* tts = l.is_object() ? l.get_object().if_contains("tts_provider") : nullptr;
      if (tts && tts->is_string()) add(out, tts->get_string(), "tts");
    }
  }
  return out;
}

}  // namespace

HttpResponse handleJobCredentials(const RequestContext& ctx, const ConversationRecord& c) {
  const auto& req = ctx.req;
  if (req.method() != common::http::verb::get) return methodNotAllowed(req);
  if (!ctx.jobToken) {
    return errorResponse(req, status::forbidden, "forbidden",
                         "provider credentials are given only to the call's worker, with its job token; a team key "
                         "sees them at /v1/providers (hints only)");
  }
  if (c.status == "ended" || c.status == "failed") {
    return errorResponse(req, status::forbidden, "forbidden",
                         "the conversation is " + c.status + ": its job is over and gets no credentials");
  }
  if (!ctx.secrets) {
    return errorResponse(req, status::service_unavailable, "encryption_unavailable",
                         "this server has no encryption key (CONVOX_ENCRYPT_KEY), so it cannot read provider "
                         "credentials");
  }
  const auto agent = ctx.repository.getAgent(ctx.teamId, c.agentId);
  const auto named =
      agent ? providersNamedBy(json::parse(agent->configJson).as_object()) : std::vector<NamedProvider>{};
  json::array credentials;
  json::array unknown;
  std::string given;
  for (const auto& n : named) {
    const auto* info = findProvider(n.id);
    if (!info) {
      unknown.emplace_back(n.id);  // the worker's own engines (piper, convox-dialog, ...) or a typo
      continue;
    }
    json::array stages;
    for (const auto& s : n.stages) stages.emplace_back(s);
    const auto stored = ctx.repository.getProviderCredential(ctx.teamId, n.id);
    json::value key = nullptr;
    if (stored && stored->sealedKey) {
      auto opened = ctx.secrets->open(*stored->sealedKey, providerCredentialContext(ctx.teamId, n.id));
      if (!opened) {
        common::logger("api")->error("conversation {}: the credential for {} cannot be read: {}", c.id, n.id,
                                     opened.error());
        return errorResponse(req, status::internal_server_error, "credential_unreadable",
                             "the stored credential for " + n.id + " cannot be read: " + opened.error());
      }
      key = json::value(*opened);
      given += (given.empty() ? "" : ", ") + n.id;
    }
    // The team's own URL apart from the catalogue's: the worker trusts the
    // team's key at the former, and uses its own settings when there is none.
    json::value baseUrl = nullptr;
    if (stored && stored->baseUrl) baseUrl = json::value(*stored->baseUrl);
    json::value defaultBaseUrl = nullptr;
    if (!info->defaultBaseUrl.empty()) defaultBaseUrl = json::value(info->defaultBaseUrl);
    credentials.push_back({{"provider", n.id},
                           {"stages", std::move(stages)},
                           {"configured", stored.has_value()},
                           {"api_key", std::move(key)},
                           {"base_url", std::move(baseUrl)},
                           {"default_base_url", std::move(defaultBaseUrl)},
                           {"config", stored ? json::parse(stored->configJson) : json::object()}});
  }
  // Which keys went where, by name only: the audit trail of the channel.
  if (!given.empty()) common::logger("api")->info("conversation {}: worker read the keys of {}", c.id, given);
  return jsonResponse(req, status::ok,
                      {{"conversation_id", c.id},
                       {"agent_id", c.agentId},
                       {"credentials", std::move(credentials)},
                       {"unknown_providers", std::move(unknown)}});
}

}  // namespace convox::control_api

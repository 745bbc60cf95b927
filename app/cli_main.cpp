// convox: the command-line tool (tokens today; rooms and agents next).

#include "common/access_token.hpp"
#include "common/ids.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

namespace {

using namespace convox;

std::string envOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// "90", "90s", "15m", "6h", "2d" -> seconds; -1 if malformed.
int64_t parseDuration(const std::string& text) {
  if (text.empty()) return -1;
  char unit = text.back();
  std::string digits = std::isdigit(static_cast<unsigned char>(unit)) ? text : text.substr(0, text.size() - 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  const int64_t n = std::stoll(digits);
  switch (unit) {
    case 'd':
      return n * 86400;
    case 'h':
      return n * 3600;
    case 'm':
      return n * 60;
    default:
      return n;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convox: command-line tool for Convox"};
  app.require_subcommand(1);
  auto* token = app.add_subcommand("token", "access tokens");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "sign a LiveKit-compatible access token");

  std::string apiKey = envOr("CONVOX_API_KEY", "devkey");
  std::string apiSecret = envOr("CONVOX_API_SECRET", "secret");
  std::string validFor = "6h";
  common::ClaimGrants grants;
  common::VideoGrant video;
  bool join = false, noPublish = false, noSubscribe = false, noPublishData = false, updateMetadata = false;
  std::string roomConfigJson;
  create->add_option("--api-key", apiKey, "API key (env CONVOX_API_KEY, default devkey)");
  create->add_option("--api-secret", apiSecret, "API secret (env CONVOX_API_SECRET, default secret)");
  create->add_option("--identity,-i", grants.identity, "participant identity (sub)");
  create->add_option("--name,-n", grants.name, "participant display name");
  create->add_option("--metadata", grants.metadata, "participant metadata");
  create->add_option(
      "--attribute",
      [&](const std::vector<std::string>& kv) {
        for (const auto& item : kv) {
          const auto eq = item.find('=');
          if (eq == std::string::npos) return false;
          grants.attributes[item.substr(0, eq)] = item.substr(eq + 1);
        }
        return true;
      },
      "participant attribute key=value (repeatable)");
  create->add_option("--kind", grants.kind, "participant kind: standard, agent, sip, ...");
  create->add_option("--room,-r", video.room, "room name");
  create->add_option("--valid-for", validFor, "lifetime: 90s, 15m, 6h, 2d (default 6h)");
  create->add_flag("--join", join, "grant roomJoin (implied by --identity with --room)");
  create->add_flag("--create", video.roomCreate, "grant roomCreate");
  create->add_flag("--list", video.roomList, "grant roomList");
  create->add_flag("--admin", video.roomAdmin, "grant roomAdmin for --room");
  create->add_flag("--agent", video.agent, "grant agent (workers registering at /agent)");
  create->add_flag("--hidden", video.hidden, "join hidden");
  create->add_flag("--no-publish", noPublish, "deny canPublish");
  create->add_flag("--no-subscribe", noSubscribe, "deny canSubscribe");
  create->add_flag("--no-publish-data", noPublishData, "deny canPublishData");
  create->add_flag("--can-update-metadata", updateMetadata, "grant canUpdateOwnMetadata");
  create->add_option("--room-config", roomConfigJson, "roomConfig claim as JSON");

  CLI11_PARSE(app, argc, argv);

  if (create->parsed()) {
    const int64_t ttl = parseDuration(validFor);
    if (ttl <= 0) {
      std::cerr << "convox: --valid-for must look like 90s, 15m, 6h or 2d\n";
      return 2;
    }
    video.roomJoin = join || (!grants.identity.empty() && !video.room.empty());
    if (video.roomJoin && (grants.identity.empty() || video.room.empty())) {
      std::cerr << "convox: a join token needs --identity and --room\n";
      return 2;
    }
    if (noPublish) video.canPublish = false;
    if (noSubscribe) video.canSubscribe = false;
    if (noPublishData) video.canPublishData = false;
    if (updateMetadata) video.canUpdateOwnMetadata = true;
    grants.video = video;
    grants.roomConfigJson = roomConfigJson;
    std::cout << common::signAccessToken(grants, apiKey, apiSecret, common::unixSeconds(), ttl) << "\n";
  }
  return 0;
}

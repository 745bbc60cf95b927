#pragma once

// LiveKit access tokens: the claims livekit-server-sdk's AccessToken writes,
// read into typed grants, and written back the same way.

#include "common/jwt.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convox::common {

// The `video` claim. Optional fields are those whose absence means something
// other than false (see the effective* accessors).
struct VideoGrant {
  std::string room;
  bool roomJoin = false;
  bool roomCreate = false;
  bool roomList = false;
  bool roomRecord = false;
  bool roomAdmin = false;
  bool ingressAdmin = false;
  bool hidden = false;
  bool recorder = false;
  bool agent = false;
  bool canSubscribeMetrics = false;
  bool canManageAgentSession = false;
  std::optional<bool> canPublish;
  std::optional<bool> canSubscribe;
  std::optional<bool> canPublishData;
  std::optional<bool> canUpdateOwnMetadata;
  std::vector<std::string> canPublishSources;  // camera, microphone, screen_share, screen_share_audio
  std::string destinationRoom;

  // LiveKit's defaults: publish and subscribe unless denied; data follows
  // publish; own-metadata updates only when granted.
  bool effectiveCanPublish() const { return canPublish.value_or(true); }
  bool effectiveCanSubscribe() const { return canSubscribe.value_or(true); }
  bool effectiveCanPublishData() const { return canPublishData.value_or(effectiveCanPublish()); }
  bool effectiveCanUpdateOwnMetadata() const { return canUpdateOwnMetadata.value_or(false); }
};

struct ClaimGrants {
  std::string apiKey;    // iss
  std::string identity;  // sub
  std::string name;
  std::string metadata;
  std::string kind;  // standard, ingress, egress, sip, agent, connector, bridge
  std::map<std::string, std::string> attributes;
  std::optional<VideoGrant> video;
  std::string roomPreset;
  std::string roomConfigJson;  // the `roomConfig` claim, re-serialised; empty if absent
  std::string sha256;          // webhook body hash
  int64_t notBefore = 0;
  int64_t expiresAt = 0;
};

struct TokenFailure {
  std::optional<JwtError> jwt;  // set for verification failures
  std::string message;          // safe to return to the client
};

// Verifies a token and reads its claims. Claims of the wrong JSON type make
// the token Malformed, with the claim named in the message.
boost::system::result<ClaimGrants, TokenFailure> verifyAccessToken(std::string_view token, const SecretLookup& secrets,
                                                                   int64_t nowSeconds);

// Claims as livekit-server-sdk writes them (camelCase, false grants omitted).
boost::json::object toJsonClaims(const ClaimGrants& grants);

// Signs `grants` for `ttlSeconds` from `nowSeconds` (nbf = iat = now, exp = now + ttl).
std::string signAccessToken(const ClaimGrants& grants, std::string_view apiKey, std::string_view secret,
                            int64_t nowSeconds, int64_t ttlSeconds);

}  // namespace convox::common

namespace convox::common {

// Grant checks, as LiveKit's server applies them. Each returns an empty
// string when allowed, or the reason it is not.
std::string checkRoomJoin(const ClaimGrants& grants);
std::string checkRoomCreate(const ClaimGrants& grants);
std::string checkRoomList(const ClaimGrants& grants);
std::string checkRoomAdmin(const ClaimGrants& grants, std::string_view room);

// The bearer token of an `Authorization: Bearer <jwt>` header value, or empty.
std::string_view bearerToken(std::string_view authorizationHeader);

}  // namespace convox::common

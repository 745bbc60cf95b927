#include "common/access_token.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

namespace convox::common {
namespace {

// Reads claims one by one; the first wrong type stops with its name.
class ClaimReader {
 public:
  explicit ClaimReader(const boost::json::object& obj, std::string prefix = {})
      : obj_(obj), prefix_(std::move(prefix)) {}

  void string(std::string_view name, std::string& out) {
    const auto* v = find(name);
    if (!v) return;
    if (!v->is_string()) return wrongType(name, "a string");
    out = std::string(v->as_string());
  }
  void boolean(std::string_view name, bool& out) {
    const auto* v = find(name);
    if (!v) return;
    if (!v->is_bool()) return wrongType(name, "a boolean");
    out = v->as_bool();
  }
  void boolean(std::string_view name, std::optional<bool>& out) {
    bool b = false;
    if (find(name)) {
      boolean(name, b);
      if (error.empty()) out = b;
    }
  }
  void stringList(std::string_view name, std::vector<std::string>& out) {
    const auto* v = find(name);
    if (!v) return;
    if (!v->is_array()) return wrongType(name, "an array of strings");
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) return wrongType(name, "an array of strings");
      out.emplace_back(item.as_string());
    }
  }
  void stringMap(std::string_view name, std::map<std::string, std::string>& out) {
    const auto* v = find(name);
    if (!v) return;
    if (!v->is_object()) return wrongType(name, "an object of strings");
    for (const auto& [key, item] : v->as_object()) {
      if (!item.is_string()) return wrongType(name, "an object of strings");
      out.emplace(std::string(key), std::string(item.as_string()));
    }
  }
  const boost::json::object* object(std::string_view name) {
    const auto* v = find(name);
    if (!v) return nullptr;
    if (!v->is_object()) {
      wrongType(name, "an object");
      return nullptr;
    }
    return &v->as_object();
  }

  std::string error;

 private:
  const boost::json::value* find(std::string_view name) const {
    auto it = obj_.find(name);
    return it == obj_.end() || it->value().is_null() ? nullptr : &it->value();
  }
  void wrongType(std::string_view name, std::string_view what) {
    if (error.empty()) error = "claim " + prefix_ + std::string(name) + " must be " + std::string(what);
  }

  const boost::json::object& obj_;
  std::string prefix_;
};

std::string readVideoGrant(const boost::json::object& obj, VideoGrant& g) {
  ClaimReader r(obj, "video.");
  r.string("room", g.room);
  r.boolean("roomJoin", g.roomJoin);
  r.boolean("roomCreate", g.roomCreate);
  r.boolean("roomList", g.roomList);
  r.boolean("roomRecord", g.roomRecord);
  r.boolean("roomAdmin", g.roomAdmin);
  r.boolean("ingressAdmin", g.ingressAdmin);
  r.boolean("hidden", g.hidden);
  r.boolean("recorder", g.recorder);
  r.boolean("agent", g.agent);
  r.boolean("canSubscribeMetrics", g.canSubscribeMetrics);
  r.boolean("canManageAgentSession", g.canManageAgentSession);
  r.boolean("canPublish", g.canPublish);
  r.boolean("canSubscribe", g.canSubscribe);
  r.boolean("canPublishData", g.canPublishData);
  r.boolean("canUpdateOwnMetadata", g.canUpdateOwnMetadata);
  r.stringList("canPublishSources", g.canPublishSources);
  r.string("destinationRoom", g.destinationRoom);
  return r.error;
}

void putBool(boost::json::object& o, std::string_view name, bool v) {
  if (v) o[name] = true;
}
void putOptional(boost::json::object& o, std::string_view name, const std::optional<bool>& v) {
  if (v) o[name] = *v;
}
void putString(boost::json::object& o, std::string_view name, const std::string& v) {
  if (!v.empty()) o[name] = v;
}

}  // namespace

boost::system::result<ClaimGrants, TokenFailure> verifyAccessToken(std::string_view token, const SecretLookup& secrets,
                                                                   int64_t nowSeconds) {
  auto verified = verifyJwt(token, secrets, nowSeconds);
  if (!verified) {
    const auto& f = verified.error();
    return TokenFailure{f.error, std::string(describe(f.error)) + ": " + f.detail};
  }
  const auto& claims = verified->claims;
  ClaimGrants g;
  g.apiKey = verified->issuer;
  ClaimReader r(claims);
  r.string("sub", g.identity);
  r.string("name", g.name);
  r.string("metadata", g.metadata);
  r.string("kind", g.kind);
  r.stringMap("attributes", g.attributes);
  r.string("roomPreset", g.roomPreset);
  r.string("sha256", g.sha256);
  if (const auto* video = r.object("video")) {
    VideoGrant vg;
    if (auto err = readVideoGrant(*video, vg); !err.empty()) {
      return TokenFailure{JwtError::Malformed, "malformed token: " + err};
    }
    g.video = std::move(vg);
  }
  if (const auto* roomConfig = r.object("roomConfig")) g.roomConfigJson = boost::json::serialize(*roomConfig);
  if (!r.error.empty()) return TokenFailure{JwtError::Malformed, "malformed token: " + r.error};
  g.expiresAt = verified->expiresAt;
  g.notBefore = verified->notBefore;
  return g;
}

boost::json::object toJsonClaims(const ClaimGrants& g) {
  boost::json::object o;
  putString(o, "sub", g.identity);
  putString(o, "name", g.name);
  putString(o, "metadata", g.metadata);
  putString(o, "kind", g.kind);
  putString(o, "roomPreset", g.roomPreset);
  putString(o, "sha256", g.sha256);
  if (!g.attributes.empty()) {
    boost::json::object attrs;
    for (const auto& [k, v] : g.attributes) attrs[k] = v;
    o["attributes"] = std::move(attrs);
  }
  if (g.video) {
    const auto& v = *g.video;
    boost::json::object video;
    putString(video, "room", v.room);
    putBool(video, "roomJoin", v.roomJoin);
    putBool(video, "roomCreate", v.roomCreate);
    putBool(video, "roomList", v.roomList);
    putBool(video, "roomRecord", v.roomRecord);
    putBool(video, "roomAdmin", v.roomAdmin);
    putBool(video, "ingressAdmin", v.ingressAdmin);
    putBool(video, "hidden", v.hidden);
    putBool(video, "recorder", v.recorder);
    putBool(video, "agent", v.agent);
    putBool(video, "canSubscribeMetrics", v.canSubscribeMetrics);
    putBool(video, "canManageAgentSession", v.canManageAgentSession);
    putOptional(video, "canPublish", v.canPublish);
    putOptional(video, "canSubscribe", v.canSubscribe);
    putOptional(video, "canPublishData", v.canPublishData);
    putOptional(video, "canUpdateOwnMetadata", v.canUpdateOwnMetadata);
    if (!v.canPublishSources.empty()) {
      boost::json::array sources;
      for (const auto& s : v.canPublishSources) sources.emplace_back(s);
      video["canPublishSources"] = std::move(sources);
    }
    putString(video, "destinationRoom", v.destinationRoom);
    o["video"] = std::move(video);
  }
  if (!g.roomConfigJson.empty()) {
    boost::system::error_code ec;
    auto config = boost::json::parse(g.roomConfigJson, ec);
    if (!ec && config.is_object()) o["roomConfig"] = std::move(config);
  }
  return o;
}

std::string signAccessToken(const ClaimGrants& grants, std::string_view apiKey, std::string_view secret,
                            int64_t nowSeconds, int64_t ttlSeconds) {
  auto claims = toJsonClaims(grants);
  claims["iss"] = apiKey;
  claims["nbf"] = nowSeconds;
  claims["iat"] = nowSeconds;
  claims["exp"] = nowSeconds + ttlSeconds;
  return signJwt(claims, secret);
}

}  // namespace convox::common

namespace convox::common {

std::string checkRoomJoin(const ClaimGrants& g) {
  if (!g.video || !g.video->roomJoin) return "token lacks the roomJoin grant";
  if (g.video->room.empty()) return "token's roomJoin grant names no room";
  if (g.identity.empty()) return "token has no identity (sub)";
  return {};
}

std::string checkRoomCreate(const ClaimGrants& g) {
  return g.video && g.video->roomCreate ? std::string{} : "token lacks the roomCreate grant";
}

std::string checkRoomList(const ClaimGrants& g) {
  return g.video && g.video->roomList ? std::string{} : "token lacks the roomList grant";
}

std::string checkRoomAdmin(const ClaimGrants& g, std::string_view room) {
  if (!g.video || !g.video->roomAdmin) return "token lacks the roomAdmin grant";
  if (g.video->room != room) return "token's roomAdmin grant is for another room";
  return {};
}

std::string_view bearerToken(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size()) return {};
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != std::tolower(static_cast<unsigned char>(kPrefix[i]))) {
      return {};
    }
  }
  return header.substr(kPrefix.size());
}

}  // namespace convox::common

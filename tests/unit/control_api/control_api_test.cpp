// The /v1 handlers called directly (no socket): authentication, strict
// requests, webhook secrets across a GET-edit-PUT, call input.
#include "control_api/control_api.hpp"
#include "store_fixture.hpp"

#include <boost/json.hpp>

#include <string>

namespace convox::control_api::testing {
namespace {

namespace json = boost::json;
using common::http::field;
using common::http::status;
using common::http::verb;

constexpr const char* kMask = "********";

class ControlApiTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    teamId_ = repo().createTeam("handlers");
    key_ = repo().createApiKey(teamId_, "test").secret;
    api_ = std::make_unique<ControlApi>(repo(), callSettings());
  }
  void TearDown() override {
    api_.reset();
    StoreTest::TearDown();
  }

  static CallSettings callSettings() {
    CallSettings calls;
    calls.apiKey = "devkey";
    calls.apiSecret = "secret";
    return calls;
  }

  // A request with the team's key and, when `body` is given, a JSON content type.
  common::HttpRequest request(verb method, const std::string& target, std::optional<std::string> body = std::nullopt,
                              std::optional<std::string> contentType = "application/json") const {
    common::HttpRequest req{method, target, 11};
    req.set(field::authorization, "Bearer " + key_);
    if (body) {
      if (contentType) req.set(field::content_type, *contentType);
      req.body() = *body;
      req.prepare_payload();
    }
    return req;
  }
  common::HttpResponse send(const common::HttpRequest& req) { return api_->handle(req); }
  common::HttpResponse send(verb method, const std::string& target, std::optional<std::string> body = std::nullopt) {
    return send(request(method, target, std::move(body)));
  }

  static json::value bodyOf(const common::HttpResponse& res) { return json::parse(res.body()); }
  // True when the error response names `fieldName` in its details.
  static bool namesField(const common::HttpResponse& res, const std::string& fieldName, const std::string& code = "") {
    const auto body = bodyOf(res);
    for (const auto& d : body.at("error").at("details").as_array()) {
      if (d.at("field").as_string() == fieldName && (code.empty() || d.at("code").as_string() == code)) return true;
    }
    return false;
  }
  std::string storedSecret(const std::string& agentId, size_t index) {
    const auto agent = repo().getAgent(teamId_, agentId);
    if (!agent) return "<no agent>";
    return std::string(json::parse(agent->configJson).at("webhooks").at(index).at("secret").as_string());
  }

  std::string teamId_;
  std::string key_;
  std::unique_ptr<ControlApi> api_;
};

// --- the dev key -----------------------------------------------------------

TEST_P(ControlApiTest, TheDevKeyIsRefusedWithoutDevMode) {
  ensureDevTeam(repo());
  for (const auto& header : {std::string("x-api-key"), std::string("authorization")}) {
    common::HttpRequest req{verb::get, "/v1/agents", 11};
    req.set(header, header == "x-api-key" ? std::string(kDevApiKey) : "Bearer " + std::string(kDevApiKey));
    const auto res = send(req);
    EXPECT_EQ(res.result(), status::unauthorized) << header;
    EXPECT_NE(res.body().find("--dev"), std::string::npos) << res.body();
  }
}

TEST_P(ControlApiTest, TheDevKeyWorksInDevMode) {
  ensureDevTeam(repo());
  ControlApi dev(repo(), callSettings(), {}, {}, DevKey::Accepted);
  common::HttpRequest req{verb::get, "/v1/agents", 11};
  req.set("x-api-key", kDevApiKey);
  EXPECT_EQ(dev.handle(req).result(), status::ok);
}

// /v1 and /agent take team keys through one rule.
TEST_P(ControlApiTest, TeamKeysAuthenticateThroughOneRule) {
  ensureDevTeam(repo());
  const auto team = repo().createTeam("workers");
  const auto created = repo().createApiKey(team, "worker");
  EXPECT_TRUE(looksLikeApiKey(created.secret));
  const auto found = authenticateTeamKey(repo(), created.secret, DevKey::Refused);
  ASSERT_TRUE(found.has_value()) << found.error();
  EXPECT_EQ(found->teamId, team);

  for (const std::string& junk : {std::string(""), std::string("cvx_"), created.secret + "x", created.secret.substr(1),
                                  "cvx_" + std::string(48, '-'), std::string(52, 'a')}) {
    EXPECT_FALSE(looksLikeApiKey(junk)) << junk;
    EXPECT_FALSE(authenticateTeamKey(repo(), junk, DevKey::Accepted).has_value()) << junk;
  }
  const auto dev = authenticateTeamKey(repo(), kDevApiKey, DevKey::Refused);
  ASSERT_FALSE(dev.has_value());
  EXPECT_NE(dev.error().find("--dev"), std::string::npos);
  EXPECT_TRUE(authenticateTeamKey(repo(), kDevApiKey, DevKey::Accepted).has_value());

  ASSERT_TRUE(repo().revokeApiKey(team, created.info.id, 1));
  EXPECT_FALSE(authenticateTeamKey(repo(), created.secret, DevKey::Refused).has_value());
}

// --- Authorization, Content-Type, JSON and query strictness ----------------

TEST_P(ControlApiTest, TheBearerSchemeIsCaseInsensitive) {
  for (const auto* scheme : {"Bearer ", "bearer ", "BEARER "}) {
    common::HttpRequest req{verb::get, "/v1/agents", 11};
    req.set(field::authorization, scheme + key_);
    EXPECT_EQ(send(req).result(), status::ok) << scheme;
  }
}

TEST_P(ControlApiTest, BodiesMustBeDeclaredJson) {
  const std::string agent = R"({"name": "typed"})";
  for (const std::optional<std::string>& type : {std::optional<std::string>(), std::optional<std::string>("text/plain"),
                                                 std::optional<std::string>("application/x-www-form-urlencoded"),
                                                 std::optional<std::string>("application/json; charset=iso-8859-1"),
                                                 std::optional<std::string>("application/jsonp")}) {
    const auto res = send(request(verb::post, "/v1/agents", agent, type));
    EXPECT_EQ(res.result(), status::unsupported_media_type) << type.value_or("(none)") << ": " << res.body();
    EXPECT_EQ(bodyOf(res).at("error").at("code"), "unsupported_media_type");
  }
  for (const auto* type : {"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"}) {
    EXPECT_EQ(send(request(verb::post, "/v1/agents", agent, std::string(type))).result(), status::created) << type;
  }
}

TEST_P(ControlApiTest, DuplicateJsonKeysAreRefusedWithTheirPath) {
  const auto top = send(verb::post, "/v1/agents", R"({"name": "a", "name": "b"})");
  EXPECT_EQ(top.result(), status::bad_request) << top.body();
  EXPECT_TRUE(namesField(top, "name", "duplicate_key")) << top.body();
  const auto nested = send(verb::post, "/v1/agents",
                           R"({"name": "a", "webhooks": [{"url": "https://h/x", "secret": "s"},
                               {"url": "https://h/y", "secret": "s", "url": "https://h/z"}]})");
  EXPECT_EQ(nested.result(), status::bad_request) << nested.body();
  EXPECT_TRUE(namesField(nested, "webhooks[1].url", "duplicate_key")) << nested.body();
  // The same key in different objects is no duplicate.
  EXPECT_EQ(
      send(verb::post, "/v1/agents", R"({"name": "a", "llm": {"provider": "p"}, "tts": {"provider": "p"}})").result(),
      status::created);
}

TEST_P(ControlApiTest, UnknownAndRepeatedQueryParametersAreRefused) {
  const auto unknown = send(verb::get, "/v1/agents?verbose=1");
  EXPECT_EQ(unknown.result(), status::bad_request) << unknown.body();
  EXPECT_TRUE(namesField(unknown, "verbose", "unknown_field")) << unknown.body();
  const auto repeated = send(verb::get, "/v1/conversations?limit=1&limit=2");
  EXPECT_EQ(repeated.result(), status::bad_request) << repeated.body();
  EXPECT_TRUE(namesField(repeated, "limit", "repeated")) << repeated.body();
  EXPECT_EQ(send(verb::get, "/v1/conversations?limit=2&status=ended").result(), status::ok);
}

// --- agents: version, webhook identity and masked secrets -------------------

TEST_P(ControlApiTest, ANonIntegerVersionIsAFieldError) {
  ASSERT_EQ(send(verb::post, "/v1/agents", R"({"id": "v", "name": "v"})").result(), status::created);
  for (const auto* version : {"1.5", "1.0", "1e0", "\"1\"", "0", "-3", "18446744073709551615"}) {
    const auto res = send(verb::put, "/v1/agents/v", std::string(R"({"name": "v", "version": )") + version + "}");
    EXPECT_EQ(res.result(), status::bad_request) << version << ": " << res.body();
    EXPECT_TRUE(namesField(res, "version")) << version << ": " << res.body();
  }
}

TEST_P(ControlApiTest, WebhookTargetsGetAnIdAndKeepTheirSecretWhenTheUrlChanges) {
  const auto made = send(verb::post, "/v1/agents",
                         R"({"id": "hooked", "name": "H", "webhooks": [
                              {"url": "https://a.example/hook", "secret": "first-secret"},
                              {"url": "https://b.example/hook", "secret": "second-secret"}]})");
  ASSERT_EQ(made.result(), status::created) << made.body();
  auto document = bodyOf(made).as_object();
  auto& hooks = document.at("webhooks").as_array();
  const std::string id0(hooks[0].at("id").as_string());
  const std::string id1(hooks[1].at("id").as_string());
  EXPECT_FALSE(id0.empty());
  EXPECT_NE(id0, id1);
  EXPECT_EQ(hooks[0].at("secret"), kMask);
  EXPECT_EQ(bodyOf(send(verb::get, "/v1/agents/hooked")).at("webhooks").at(0).at("id").as_string(), id0);  // stable

  // Edit the first URL, swap the order, send every mask back.
  document.erase("created_at");
  document.erase("updated_at");
  hooks[0].as_object()["url"] = "https://moved.example/hook";
  std::swap(hooks[0], hooks[1]);
  const auto put = send(verb::put, "/v1/agents/hooked", json::serialize(document));
  ASSERT_EQ(put.result(), status::ok) << put.body();
  EXPECT_EQ(put.body().find("secret\":\"first"), std::string::npos);
  EXPECT_EQ(storedSecret("hooked", 0), "second-secret");
  EXPECT_EQ(storedSecret("hooked", 1), "first-secret");
  EXPECT_EQ(bodyOf(put).at("webhooks").at(1).at("id").as_string(), id0);
}

TEST_P(ControlApiTest, AMaskThatMatchesNoStoredTargetIsRefused) {
  const auto created =
      send(verb::post, "/v1/agents",
           R"({"id": "m", "name": "M", "webhooks": [{"url": "https://a.example/", "secret": "********"}]})");
  EXPECT_EQ(created.result(), status::bad_request) << created.body();
  EXPECT_TRUE(namesField(created, "webhooks[0].secret")) << created.body();

  ASSERT_EQ(send(verb::post, "/v1/agents",
                 R"({"id": "m", "name": "M", "webhooks": [{"url": "https://a.example/", "secret": "kept"}]})")
                .result(),
            status::created);
  for (const auto* hook : {R"({"url": "https://b.example/", "secret": "********"})",
                           R"({"id": "wh_unknown", "url": "https://a.example/", "secret": "********"})"}) {
    const auto res = send(verb::put, "/v1/agents/m", std::string(R"({"name": "M", "webhooks": [)") + hook + "]}");
    EXPECT_EQ(res.result(), status::bad_request) << hook << ": " << res.body();
    EXPECT_TRUE(namesField(res, "webhooks[0].secret")) << res.body();
  }
  EXPECT_EQ(storedSecret("m", 0), "kept");
}

TEST_P(ControlApiTest, TargetsStoredBeforeIdsExistedRoundTrip) {
  AgentRecord old;
  old.id = "legacy";
  old.name = "L";
  old.configJson = R"({"name":"L","webhooks":[{"url":"https://a.example/","secret":"old-secret"}]})";
  old.createdAt = old.updatedAt = 1;
  ASSERT_TRUE(repo().createAgent(teamId_, old));
  auto shown = bodyOf(send(verb::get, "/v1/agents/legacy")).as_object();
  ASSERT_TRUE(shown.at("webhooks").at(0).as_object().contains("id"));
  shown["webhooks"].as_array()[0].as_object()["url"] = "https://new.example/";
  shown.erase("created_at");
  shown.erase("updated_at");
  const auto put = send(verb::put, "/v1/agents/legacy", json::serialize(shown));
  ASSERT_EQ(put.result(), status::ok) << put.body();
  EXPECT_EQ(storedSecret("legacy", 0), "old-secret");
}

// --- calls -------------------------------------------------------------------

TEST_P(ControlApiTest, ACallerIdentityMustBeUsable) {
  ASSERT_EQ(send(verb::post, "/v1/agents", R"({"id": "callee", "name": "C"})").result(), status::created);
  for (const auto* identity : {R"("")", R"(" ")", R"("a\nb")", R"("tab\there")", R"("a/b")"}) {
    const auto res =
        send(verb::post, "/v1/calls", std::string(R"({"agent_id": "callee", "identity": )") + identity + "}");
    EXPECT_EQ(res.result(), status::bad_request) << identity << ": " << res.body();
    EXPECT_TRUE(namesField(res, "identity")) << identity << ": " << res.body();
  }
  const auto tooLong =
      send(verb::post, "/v1/calls", R"({"agent_id": "callee", "identity": ")" + std::string(129, 'x') + "\"}");
  EXPECT_TRUE(namesField(tooLong, "identity", "too_long")) << tooLong.body();
  for (const auto* identity : {"alice", "ada@example.com", "user:42", "caller_1.b-c+d"}) {
    const auto res =
        send(verb::post, "/v1/calls", std::string(R"({"agent_id": "callee", "identity": ")") + identity + "\"}");
    EXPECT_EQ(res.result(), status::created) << identity << ": " << res.body();
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, ControlApiTest, ::testing::Values(Backend::Sqlite), backendName);

}  // namespace
}  // namespace convox::control_api::testing

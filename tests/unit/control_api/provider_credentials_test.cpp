// Provider credentials on both stores: the repository rows, /v1/providers
// (keys never shown, per-team), a restart with the same key and one with
// another, and the worker's job-token read of the keys its agent names.
#include "common/access_token.hpp"
#include "common/ids.hpp"
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

constexpr const char* kApiKey = "devkey";
constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";
constexpr const char* kEncryptKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
constexpr const char* kOtherEncryptKey = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
constexpr const char* kDeepgramKey = "dg_0123456789abcdefWXYZ";

class ProviderCredentialsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    teamA_ = repo().createTeam("a");
    keyA_ = repo().createApiKey(teamA_, "test").secret;
    teamB_ = repo().createTeam("b");
    keyB_ = repo().createApiKey(teamB_, "test").secret;
    startApi(kEncryptKey);
  }
  void TearDown() override {
    api_.reset();
    StoreTest::TearDown();
  }
  void startApi(const char* encryptKey) {
    api_.reset();
    CallSettings calls;
    calls.apiKey = kApiKey;
    calls.apiSecret = kSecret;
    calls.publicUrl = [] { return std::string("ws://127.0.0.1:7880"); };
    calls.jobTokenSecrets = [](std::string_view key) -> std::optional<std::string> {
      if (key == kApiKey) return std::string(kSecret);
      return std::nullopt;
    };
    api_ = std::make_unique<ControlApi>(repo(), calls, ApiLimits{}, WebhookDeliverySettings{}, DevKey::Refused,
                                        *SecretBox::fromHex(encryptKey));
  }

  common::HttpResponse send(verb method, const std::string& target, std::optional<std::string> body,
                            const std::string& credential) {
    common::HttpRequest req{method, target, 11};
    req.set(field::authorization, "Bearer " + credential);
    if (body) {
      req.set(field::content_type, "application/json");
      req.body() = *body;
      req.prepare_payload();
    }
    return api_->handle(req);
  }
  common::HttpResponse sendA(verb method, const std::string& target, std::optional<std::string> body = std::nullopt) {
    return send(method, target, std::move(body), keyA_);
  }
  static json::value bodyOf(const common::HttpResponse& res) { return json::parse(res.body()); }
  static const json::object* entry(const json::value& list, std::string_view id) {
    for (const auto& p : list.at("providers").as_array()) {
      if (p.at("id").as_string() == id) return &p.as_object();
    }
    return nullptr;
  }
  static bool namesField(const common::HttpResponse& res, const std::string& name) {
    const auto body = bodyOf(res);
    for (const auto& d : body.at("error").at("details").as_array()) {
      if (d.at("field").as_string() == name) return true;
    }
    return false;
  }

  void storeAgent(const std::string& teamId, const std::string& id, const std::string& configJson) {
    AgentRecord a;
    a.id = id;
    a.name = id;
    a.configJson = configJson;
    a.createdAt = a.updatedAt = 1;
    ASSERT_TRUE(repo().createAgent(teamId, a));
  }
  // A conversation of team A's agent, as POST /v1/calls makes it (no dispatcher here).
  std::string startCall(const std::string& agentId) {
    const auto res = sendA(verb::post, "/v1/calls", R"({"agent_id": ")" + agentId + "\"}");
    EXPECT_EQ(res.result(), status::created) << res.body();
    return std::string(bodyOf(res).at("conversation_id").as_string());
  }
  static std::string jobToken(const std::string& room, int64_t issuedAt = common::unixSeconds(), int64_t ttl = 3600) {
    common::ClaimGrants grants;
    grants.identity = "agent-AJ_test";
    grants.kind = "agent";
    common::VideoGrant video;
    video.roomJoin = true;
    video.room = room;
    video.agent = true;
    grants.video = video;
    return common::signAccessToken(grants, kApiKey, kSecret, issuedAt, ttl);
  }
  common::HttpResponse credentialsOf(const std::string& conversationId, const std::string& token) {
    return send(verb::get, "/v1/conversations/" + conversationId + "/provider-credentials", std::nullopt, token);
  }

  std::string teamA_, keyA_, teamB_, keyB_;
  std::unique_ptr<ControlApi> api_;
};

// --- the store -----------------------------------------------------------------

TEST_P(ProviderCredentialsTest, RowsAreKeptPerTeamAndReplacedInPlace) {
  ProviderCredentialRecord c;
  c.provider = "deepgram";
  c.sealedKey = "sealed-1";
  c.keyHint = "WXYZ";
  c.baseUrl = "https://dg.example.com";
  c.configJson = R"({"region":"eu"})";
  c.createdAt = 10;
  c.updatedAt = 10;
  repo().putProviderCredential(teamA_, c);
  c.sealedKey = "sealed-2";
  c.baseUrl.reset();
  c.createdAt = 99;  // ignored on replace: created_at stays the first one
  c.updatedAt = 20;
  repo().putProviderCredential(teamA_, c);
  const auto got = repo().getProviderCredential(teamA_, "deepgram");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->sealedKey, "sealed-2");
  EXPECT_EQ(got->keyHint, "WXYZ");
  EXPECT_FALSE(got->baseUrl);
  EXPECT_EQ(got->configJson, R"({"region":"eu"})");
  EXPECT_EQ(got->createdAt, 10);
  EXPECT_EQ(got->updatedAt, 20);
  EXPECT_FALSE(repo().getProviderCredential(teamB_, "deepgram"));
  EXPECT_TRUE(repo().listProviderCredentials(teamB_).empty());
  EXPECT_FALSE(repo().deleteProviderCredential(teamB_, "deepgram"));
  ASSERT_EQ(repo().listProviderCredentials(teamA_).size(), 1u);
  EXPECT_TRUE(repo().deleteProviderCredential(teamA_, "deepgram"));
  EXPECT_FALSE(repo().getProviderCredential(teamA_, "deepgram"));
  EXPECT_GE(repo().schemaVersion(), 5);
}

// --- /v1/providers -------------------------------------------------------------

TEST_P(ProviderCredentialsTest, TheListShowsTheCatalogueAndHintsButNeverTheKey) {
  auto list = sendA(verb::get, "/v1/providers");
  ASSERT_EQ(list.result(), status::ok) << list.body();
  const auto before = bodyOf(list);
  for (const auto* id :
       {"deepgram",   "openai",   "groq",       "whisper.cpp", "speaches",        "sarvam",   "pocketsphinx",
        "anthropic",  "gemini",   "ollama",     "vllm",        "llama.cpp",       "mistral",  "deepseek",
        "openrouter", "together", "elevenlabs", "kokoro",      "openedai-speech", "espeak-ng"}) {
    ASSERT_TRUE(entry(before, id)) << id;
  }
  EXPECT_EQ(entry(before, "deepgram")->at("configured"), false);
  EXPECT_EQ(entry(before, "deepgram")->at("key_required"), true);
  EXPECT_EQ(entry(before, "ollama")->at("key_required"), false);

  const auto put = sendA(verb::post, "/v1/providers/deepgram/configure",
                         std::string(R"({"api_key": ")") + kDeepgramKey + R"(", "config": {"region": "eu"}})");
  ASSERT_EQ(put.result(), status::created) << put.body();
  EXPECT_EQ(put.body().find(kDeepgramKey), std::string::npos);
  const auto stored = repo().getProviderCredential(teamA_, "deepgram");
  ASSERT_TRUE(stored && stored->sealedKey);
  EXPECT_EQ(stored->sealedKey->find(kDeepgramKey), std::string::npos) << "encrypted at rest";

  list = sendA(verb::get, "/v1/providers");
  EXPECT_EQ(list.body().find(kDeepgramKey), std::string::npos);
  const auto after = bodyOf(list);
  const auto* dg = entry(after, "deepgram");
  EXPECT_EQ(dg->at("configured"), true);
  EXPECT_EQ(dg->at("key_hint"), "…WXYZ");
  EXPECT_EQ(dg->at("config").at("region"), "eu");
  EXPECT_TRUE(dg->at("updated_at").is_int64());

  // Team B sees none of it.
  const auto other = bodyOf(send(verb::get, "/v1/providers", std::nullopt, keyB_));
  EXPECT_EQ(entry(other, "deepgram")->at("configured"), false);
  EXPECT_EQ(send(verb::get, "/v1/providers/deepgram", std::nullopt, keyB_).body().find("WXYZ"), std::string::npos);
  EXPECT_EQ(send(verb::delete_, "/v1/providers/deepgram/configure", std::nullopt, keyB_).result(), status::not_found);

  // A second configure without a key keeps the stored key, changes the rest.
  const auto again =
      sendA(verb::post, "/v1/providers/deepgram/configure", R"({"base_url": "https://dg.example.com/"})");
  ASSERT_EQ(again.result(), status::ok) << again.body();
  EXPECT_EQ(bodyOf(again).at("base_url"), "https://dg.example.com");
  EXPECT_EQ(bodyOf(again).at("key_hint"), "…WXYZ");

  EXPECT_EQ(sendA(verb::delete_, "/v1/providers/deepgram/configure").result(), status::no_content);
  const auto removed = bodyOf(sendA(verb::get, "/v1/providers"));
  EXPECT_EQ(entry(removed, "deepgram")->at("configured"), false);
  EXPECT_EQ(sendA(verb::delete_, "/v1/providers/deepgram/configure").result(), status::not_found);
}

TEST_P(ProviderCredentialsTest, BadInputIsRefusedWithReasons) {
  EXPECT_EQ(sendA(verb::post, "/v1/providers/nosuch/configure", R"({"api_key": "k"})").result(), status::not_found);
  auto res = sendA(verb::post, "/v1/providers/deepgram/configure", R"({})");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_TRUE(namesField(res, "api_key")) << res.body();
  res = sendA(verb::post, "/v1/providers/deepgram/configure", R"({"api_key": "has a space in it"})");
  EXPECT_TRUE(namesField(res, "api_key")) << res.body();
  for (const auto* url : {"ftp://x.example.com", "not a url", "https://user:pw@x.example.com",
                          "https://x.example.com/v1?key=abc", "http://0x7f.1/"}) {
    res = sendA(verb::post, "/v1/providers/openai/configure",
                std::string(R"({"api_key": "sk-000000000000", "base_url": ")") + url + "\"}");
    EXPECT_EQ(res.result(), status::bad_request) << url;
    EXPECT_TRUE(namesField(res, "base_url")) << url << ": " << res.body();
  }
  res = sendA(verb::post, "/v1/providers/openai/configure",
              R"({"api_key": "sk-000000000000", "config": {"api_key": "sk-in-clear"}})");
  EXPECT_TRUE(namesField(res, "config.api_key")) << res.body();
  res = sendA(verb::post, "/v1/providers/openai/configure", R"({"api_key": "sk-000000000000", "extra": 1})");
  EXPECT_TRUE(namesField(res, "extra")) << res.body();
  res = sendA(verb::post, "/v1/providers/pocketsphinx/configure", R"({"api_key": "sk-000000000000"})");
  EXPECT_TRUE(namesField(res, "api_key")) << res.body();
  // A self-hosted server needs no key.
  EXPECT_EQ(sendA(verb::post, "/v1/providers/ollama/configure", R"({"base_url": "http://10.0.0.5:11434/v1"})").result(),
            status::created);
  // /test without a key for a provider that needs one says what to do.
  res = sendA(verb::post, "/v1/providers/elevenlabs/test");
  EXPECT_EQ(res.result(), status::bad_request) << res.body();
  EXPECT_TRUE(namesField(res, "api_key"));
  // The address policy: a check is not a way into the server's own network.
  res = sendA(verb::post, "/v1/providers/ollama/test", R"({"base_url": "http://127.0.0.1:9/v1"})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(bodyOf(res).at("ok"), false);
  EXPECT_TRUE(bodyOf(res).at("status").is_null());
  EXPECT_NE(std::string(bodyOf(res).at("error").as_string()).find("loopback"), std::string::npos) << res.body();
}

// --- restarts and keys ----------------------------------------------------------

TEST_P(ProviderCredentialsTest, ARestartWithTheSameKeyStillOpensAndAnotherKeyIsAClearError) {
  storeAgent(teamA_, "talker", R"({"name":"talker","stt":{"provider":"deepgram"}})");
  ASSERT_EQ(
      sendA(verb::post, "/v1/providers/deepgram/configure", std::string(R"({"api_key": ")") + kDeepgramKey + "\"}")
          .result(),
      status::created);
  api_.reset();
  reopen();
  startApi(kEncryptKey);
  const auto id = startCall("talker");
  const auto room = "call_" + id;
  auto res = credentialsOf(id, jobToken(room));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(bodyOf(res).at("credentials").at(0).at("api_key"), kDeepgramKey);

  startApi(kOtherEncryptKey);
  res = credentialsOf(id, jobToken(room));
  EXPECT_EQ(res.result(), status::internal_server_error);
  EXPECT_EQ(bodyOf(res).at("error").at("code"), "credential_unreadable");
  EXPECT_NE(res.body().find("another encryption key"), std::string::npos) << res.body();
  res = sendA(verb::post, "/v1/providers/deepgram/test");
  EXPECT_EQ(bodyOf(res).at("error").at("code"), "credential_unreadable") << res.body();
}

// Review of issue 14: /test with a posted base_url and no posted key would
// have sent the stored key there, a way to read it back with a team key.
TEST_P(ProviderCredentialsTest, TheStoredKeyIsNotTestedAgainstAnotherUrl) {
  ASSERT_EQ(sendA(verb::post, "/v1/providers/deepgram/configure",
                  std::string(R"({"base_url": "http://127.0.0.1:9", "api_key": ")") + kDeepgramKey + "\"}")
                .result(),
            status::created);
  auto res = sendA(verb::post, "/v1/providers/deepgram/test", R"({"base_url": "https://collector.example.com"})");
  EXPECT_EQ(res.result(), status::bad_request) << res.body();
  EXPECT_TRUE(namesField(res, "api_key")) << res.body();
  EXPECT_EQ(res.body().find(kDeepgramKey), std::string::npos);
  // Its own stored URL named explicitly is still its own (and refused by the
  // address policy here, so nothing leaves the machine).
  res = sendA(verb::post, "/v1/providers/deepgram/test", R"({"base_url": "http://127.0.0.1:9/"})");
  EXPECT_EQ(res.result(), status::ok) << res.body();
  EXPECT_NE(res.body().find("loopback"), std::string::npos) << res.body();
}

TEST_P(ProviderCredentialsTest, ASealedKeyCopiedToAnotherTeamDoesNotOpen) {
  ASSERT_EQ(
      sendA(verb::post, "/v1/providers/deepgram/configure", std::string(R"({"api_key": ")") + kDeepgramKey + "\"}")
          .result(),
      status::created);
  auto row = repo().getProviderCredential(teamA_, "deepgram").value();
  repo().putProviderCredential(teamB_, row);  // what a store-level attacker could do
  storeAgent(teamB_, "b-talker", R"({"name":"b","stt":{"provider":"deepgram"}})");
  const auto call = send(verb::post, "/v1/calls", R"({"agent_id": "b-talker"})", keyB_);
  ASSERT_EQ(call.result(), status::created);
  const std::string id(bodyOf(call).at("conversation_id").as_string());
  const auto res = credentialsOf(id, jobToken("call_" + id));
  EXPECT_EQ(res.result(), status::internal_server_error) << res.body();
  EXPECT_EQ(res.body().find(kDeepgramKey), std::string::npos);
}

// --- the worker's channel --------------------------------------------------------

TEST_P(ProviderCredentialsTest, AJobTokenGetsOnlyTheProvidersItsAgentNamesWhileTheCallIsLive) {
  for (const auto& [id, key] :
       std::vector<std::pair<std::string, std::string>>{{"deepgram", kDeepgramKey},
                                                        {"openai", "sk-openai-000000000000"},
                                                        {"groq", "gsk-groq-000000000000"},
                                                        {"elevenlabs", "xi-eleven-000000000000"},
                                                        {"anthropic", "sk-ant-unused-0000000000"}}) {
    ASSERT_EQ(sendA(verb::post, "/v1/providers/" + id + "/configure", R"({"api_key": ")" + key + "\"}").result(),
              status::created);
  }
  ASSERT_EQ(sendA(verb::post, "/v1/providers/groq/configure",
                  R"({"api_key": "gsk-groq-000000000000", "base_url": "https://groq-proxy.example.com/openai/v1/"})")
                .result(),
            status::ok);  // an update of the one stored above
  storeAgent(teamA_, "talker", R"({"name":"talker",
      "stt":{"provider":"deepgram","fallback":[{"provider":"openai"}]},
      "llm":{"provider":"groq","fallback":["openai",{"provider":"ollama"}]},
      "tts":{"provider":"elevenlabs"},
      "languages":[{"language":"hi-IN","tts_provider":"sarvam"},{"language":"en","tts_provider":"piper"}]})");
  const auto id = startCall("talker");
  const auto token = jobToken("call_" + id);
  auto res = credentialsOf(id, token);
  ASSERT_EQ(res.result(), status::ok) << res.body();
  const auto body = bodyOf(res);
  std::map<std::string, json::object> byId;
  for (const auto& c : body.at("credentials").as_array())
    byId[std::string(c.at("provider").as_string())] = c.as_object();
  EXPECT_EQ(byId.size(), 6u) << res.body();  // deepgram openai groq ollama elevenlabs sarvam
  EXPECT_FALSE(byId.contains("anthropic")) << "configured, but not named by the agent";
  EXPECT_EQ(byId["deepgram"].at("api_key"), kDeepgramKey);
  EXPECT_EQ(byId["deepgram"].at("stages"), json::array({"stt"}));
  EXPECT_EQ(byId["openai"].at("stages"), json::array({"stt", "llm"}));
  // The team's own URL apart from the catalogue's: the worker trusts the team's key at the former.
  EXPECT_TRUE(byId["openai"].at("base_url").is_null()) << res.body();
  EXPECT_EQ(byId["openai"].at("default_base_url"), "https://api.openai.com/v1");
  EXPECT_EQ(byId["groq"].at("base_url"), "https://groq-proxy.example.com/openai/v1");
  EXPECT_TRUE(byId["ollama"].at("base_url").is_null());
  EXPECT_EQ(byId["groq"].at("api_key"), "gsk-groq-000000000000");
  EXPECT_EQ(byId["ollama"].at("configured"), false);
  EXPECT_TRUE(byId["ollama"].at("api_key").is_null());
  EXPECT_EQ(byId["sarvam"].at("configured"), false);
  EXPECT_EQ(body.at("unknown_providers"), json::array({"piper"}));
  EXPECT_EQ(res.body().find("sk-ant-unused"), std::string::npos);

  // A team key does not get them; nor does a token for another call.
  EXPECT_EQ(sendA(verb::get, "/v1/conversations/" + id + "/provider-credentials").result(), status::forbidden);
  const auto otherId = startCall("talker");
  EXPECT_EQ(credentialsOf(otherId, token).result(), status::not_found);
  EXPECT_EQ(send(verb::get, "/v1/providers", std::nullopt, token).result(), status::forbidden);
  // An expired token reads nothing, even within the ingest grace.
  const auto expired = jobToken("call_" + id, common::unixSeconds() - 7200, 3600);
  EXPECT_EQ(credentialsOf(id, expired).result(), status::unauthorized);
  // Once the call is over, the job gets no keys.
  ASSERT_EQ(send(verb::post, "/v1/conversations/" + id + "/status", R"({"status": "ended"})", token).result(),
            status::ok);
  res = credentialsOf(id, token);
  EXPECT_EQ(res.result(), status::forbidden) << res.body();
  EXPECT_EQ(res.body().find(kDeepgramKey), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, ProviderCredentialsTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace convox::control_api::testing

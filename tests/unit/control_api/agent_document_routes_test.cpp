// The agent document through /v1 (handlers called directly): the seed's
// example stored and served unchanged, the seed's webhook form with its
// write-only secret, and calls with overrides dispatched under the worker's
// name with the effective configuration in the job metadata.
#include "../agent_config/seed_document.hpp"
#include "control_api/control_api.hpp"
#include "store_fixture.hpp"
#include "webhook_targets.hpp"

#include <boost/json.hpp>

#include <string>

namespace convox::control_api::testing {
namespace {

namespace json = boost::json;
using common::http::field;
using common::http::status;
using common::http::verb;

class AgentDocumentRoutesTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    teamId_ = repo().createTeam("documents");
    key_ = repo().createApiKey(teamId_, "test").secret;
    CallSettings calls;
    calls.apiKey = "devkey";
    calls.apiSecret = "secret";
    calls.workerAgentName = "convox-test-worker";
    calls.dispatchAgent = [this](const AgentDispatchRequest& r) -> std::optional<std::string> {
      dispatched_.push_back(r);
      return std::nullopt;
    };
    api_ = std::make_unique<ControlApi>(repo(), calls);
  }
  void TearDown() override {
    api_.reset();
    StoreTest::TearDown();
  }

  common::HttpResponse send(verb method, const std::string& target, std::optional<std::string> body = std::nullopt) {
    common::HttpRequest req{method, target, 11};
    req.set(field::authorization, "Bearer " + key_);
    if (body) {
      req.set(field::content_type, "application/json");
      req.body() = *body;
      req.prepare_payload();
    }
    return api_->handle(req);
  }
  static json::object bodyOf(const common::HttpResponse& res) { return json::parse(res.body()).as_object(); }
  static bool namesField(const common::HttpResponse& res, const std::string& name, const std::string& code) {
    const auto body = json::parse(res.body());
    if (!body.is_object() || !body.as_object().contains("error")) return false;
    for (const auto& d : body.at("error").at("details").as_array()) {
      if (d.at("field").as_string() == name && d.at("code").as_string() == code) return true;
    }
    return false;
  }
  // The served document without the fields the server adds.
  static json::object withoutServerFields(json::object served) {
    for (const auto* key : {"id", "version", "created_at", "updated_at"}) served.erase(key);
    return served;
  }
  json::object storedConfig(const std::string& id) {
    const auto agent = repo().getAgent(teamId_, id);
    return agent ? json::parse(agent->configJson).as_object() : json::object{};
  }

  std::string teamId_;
  std::string key_;
  std::unique_ptr<ControlApi> api_;
  std::vector<AgentDispatchRequest> dispatched_;
};

TEST_P(AgentDocumentRoutesTest, TheSeedDocumentRoundTripsUnchanged) {
  const auto seed = json::parse(kSeedAgentDocument).as_object();
  const auto created = send(verb::post, "/v1/agents", kSeedAgentDocument);
  ASSERT_EQ(created.result(), status::created) << created.body();
  const auto id = std::string(bodyOf(created).at("id").as_string());
  EXPECT_EQ(withoutServerFields(bodyOf(created)), seed);
  const auto got = send(verb::get, "/v1/agents/" + id);
  ASSERT_EQ(got.result(), status::ok);
  EXPECT_EQ(withoutServerFields(bodyOf(got)), seed);
  EXPECT_EQ(bodyOf(got).at("version").as_int64(), 1);

  // A GET-edit-PUT keeps it as well.
  auto edited = bodyOf(got);
  edited.erase("created_at");
  edited.erase("updated_at");
  edited["description"] = "edited";
  const auto put = send(verb::put, "/v1/agents/" + id, json::serialize(edited));
  ASSERT_EQ(put.result(), status::ok) << put.body();
  auto expected = seed;
  expected["description"] = "edited";
  EXPECT_EQ(withoutServerFields(bodyOf(send(verb::get, "/v1/agents/" + id))), expected);
}

TEST_P(AgentDocumentRoutesTest, TheSeedWebhookSecretIsWriteOnlyAndKeptByTheMask) {
  const auto created = send(verb::post, "/v1/agents", R"({"id": "w", "name": "W", "webhooks": {
      "on_call_end": "https://crm.example/end", "secret": "seed-form-secret"}})");
  ASSERT_EQ(created.result(), status::created) << created.body();
  EXPECT_EQ(created.body().find("seed-form-secret"), std::string::npos) << created.body();
  auto shown = bodyOf(send(verb::get, "/v1/agents/w"));
  EXPECT_EQ(shown.at("webhooks").at("secret").as_string(), "********");
  shown.erase("created_at");
  shown.erase("updated_at");
  shown["webhooks"].as_object()["on_transcript_ready"] = "https://crm.example/transcript";
  const auto put = send(verb::put, "/v1/agents/w", json::serialize(shown));
  ASSERT_EQ(put.result(), status::ok) << put.body();
  EXPECT_EQ(storedConfig("w").at("webhooks").at("secret").as_string(), "seed-form-secret");

  // A mask with nothing stored behind it is refused, on create and on update.
  const auto masked = R"({"name": "W", "webhooks": {"on_call_end": "https://crm.example/", "secret": "********"}})";
  const auto refusedCreate = send(verb::post, "/v1/agents", masked);
  EXPECT_EQ(refusedCreate.result(), status::bad_request);
  EXPECT_TRUE(namesField(refusedCreate, "webhooks.secret", "invalid_value")) << refusedCreate.body();
  ASSERT_EQ(send(verb::post, "/v1/agents", R"({"id": "bare", "name": "B"})").result(), status::created);
  const auto refusedPut = send(verb::put, "/v1/agents/bare", masked);
  EXPECT_TRUE(namesField(refusedPut, "webhooks.secret", "invalid_value")) << refusedPut.body();
}

TEST_P(AgentDocumentRoutesTest, SeedWebhookHostsFollowTheUrlPolicy) {
  const auto res =
      send(verb::post, "/v1/agents", R"({"name": "h", "webhooks": {"on_transcript_ready": "http://[fe80::1%25lo]/"}})");
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_TRUE(namesField(res, "webhooks.on_transcript_ready", "invalid_value")) << res.body();
}

TEST(WebhookTargets, BothFormsBecomeTargets) {
  const auto seed = webhookTargetsOf(json::parse(kSeedAgentDocument).as_object());
  ASSERT_EQ(seed.size(), 2u);
  EXPECT_EQ(seed[0].url, "https://your-crm.com/hooks/call-complete");
  EXPECT_EQ(seed[0].events, std::vector<std::string>{"call.ended"});
  EXPECT_FALSE(seed[0].includeTranscript);
  EXPECT_EQ(seed[0].secret, "");  // unsigned: the seed form has no secret
  EXPECT_EQ(seed[1].events, std::vector<std::string>{"transcript.ready"});
  EXPECT_TRUE(seed[1].includeTranscript);
  const auto signed_ = webhookTargetsOf(
      json::parse(R"({"webhooks": {"on_transcript_ready": "https://h/", "secret": "k"}})").as_object());
  ASSERT_EQ(signed_.size(), 1u);
  EXPECT_EQ(signed_[0].secret, "k");
  const auto list = webhookTargetsOf(json::parse(R"({"webhooks": [{"url": "https://h/", "secret": "s"},
      {"url": "https://i/", "secret": "t", "events": ["call.started"], "include_transcript": true}]})")
                                         .as_object());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].events.size(), 3u);  // all events when none are listed
  EXPECT_EQ(list[1].events, std::vector<std::string>{"call.started"});
  EXPECT_TRUE(list[1].includeTranscript);
}

TEST_P(AgentDocumentRoutesTest, CallsDispatchUnderTheWorkerNameWithTheEffectiveConfig) {
  ASSERT_EQ(send(verb::post, "/v1/agents", R"({"id": "rx", "name": "Rx", "first_message": "Hello",
      "llm": {"provider": "openai", "temperature": 0.2}, "webhooks": [{"url": "https://h/", "secret": "s"}],
      "client_override_keys": ["first_message", "llm.temperature"]})")
                .result(),
            status::created);
  const auto call = send(verb::post, "/v1/calls", R"({"agent_id": "rx",
      "parameters": [{"name": "customer_name", "value": "Rahul"}, {"name": "customer_phone", "value": "+919876543210"}],
      "overrides": {"first_message": "Namaste {{customer_name}}", "llm": {"temperature": 0.7}},
      "retry_context": {"previous_conversation_id": "conv_1", "stage_id": "promise", "collected_data": {"amount": 500}},
      "direction": "outbound"})");
  ASSERT_EQ(call.result(), status::created) << call.body();
  ASSERT_EQ(dispatched_.size(), 1u);
  EXPECT_EQ(dispatched_[0].agentName, "convox-test-worker");
  const auto metadata = json::parse(dispatched_[0].metadataJson).as_object();
  const auto& agent = metadata.at("agent").as_object();
  EXPECT_EQ(agent.at("id").as_string(), "rx");
  EXPECT_EQ(agent.at("first_message").as_string(), "Namaste {{customer_name}}");
  EXPECT_EQ(agent.at("llm").at("temperature").as_double(), 0.7);
  EXPECT_EQ(agent.at("llm").at("provider").as_string(), "openai");
  EXPECT_FALSE(agent.contains("webhooks"));
  EXPECT_EQ(metadata.at("parameters").at("customer_name").as_string(), "Rahul");
  EXPECT_EQ(metadata.at("direction").as_string(), "outbound");
  EXPECT_EQ(metadata.at("retry_context").at("stage_id").as_string(), "promise");
  EXPECT_EQ(metadata.at("overrides").at("llm").at("temperature").as_double(), 0.7);
  // The stored agent is untouched.
  EXPECT_EQ(storedConfig("rx").at("first_message").as_string(), "Hello");
  const auto detail =
      bodyOf(send(verb::get, "/v1/conversations/" + std::string(bodyOf(call).at("conversation_id").as_string())));
  EXPECT_EQ(detail.at("parameters").at("customer_phone").as_string(), "+919876543210");
}

TEST_P(AgentDocumentRoutesTest, ACallMayOverrideOnlyListedKeys) {
  ASSERT_EQ(send(verb::post, "/v1/agents", R"({"id": "rx", "name": "Rx", "llm": {"provider": "openai"},
      "client_override_keys": ["llm.temperature"]})")
                .result(),
            status::created);
  const auto refused = send(verb::post, "/v1/calls", R"({"agent_id": "rx", "overrides": {"llm": {"model": "gpt-5"}}})");
  EXPECT_EQ(refused.result(), status::bad_request);
  EXPECT_TRUE(namesField(refused, "overrides.llm.model", "not_overridable")) << refused.body();
  const auto invalid = send(verb::post, "/v1/calls", R"({"agent_id": "rx", "overrides": {"llm": {"temperature": 3}}})");
  EXPECT_TRUE(namesField(invalid, "overrides.llm.temperature", "out_of_range")) << invalid.body();
  for (const auto* body :
       {R"({"agent_id": "rx", "direction": "sideways"})", R"({"agent_id": "rx", "retry_context": {"stage_id": "a b"}})",
        R"({"agent_id": "rx", "parameters": [{"name": "a"}]})",
        R"({"agent_id": "rx", "parameters": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}]})"}) {
    EXPECT_EQ(send(verb::post, "/v1/calls", body).result(), status::bad_request) << body;
  }
  EXPECT_TRUE(dispatched_.empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, AgentDocumentRoutesTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace convox::control_api::testing

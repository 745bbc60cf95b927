// Agent webhook secrets at rest: sealed in the stored document, bound to
// their team and agent, kept across a GET-edit-PUT, legacy clear values
// sealed at start, and no longer in the way of a call's overrides.
#include "webhook_secrets.hpp"
#include "api_test_fixture.hpp"
#include "control_api/secret_box.hpp"

#include <gtest/gtest.h>

namespace convox::control_api::testing {
namespace {

namespace json = boost::json;
using common::http::status;
using common::http::verb;

class WebhookSecretsTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    api_ = std::make_unique<ControlApi>(repo(), CallSettings{}, ApiLimits{}, WebhookDeliverySettings{}, DevKey::Refused,
                                        box_);
  }

  std::string stored(const std::string& agentId) { return repo().getAgent(teamId_, agentId).value().configJson; }
  std::string storedSecret(const std::string& agentId, size_t index) {
    return std::string(json::parse(stored(agentId)).at("webhooks").at(index).at("secret").as_string());
  }
  std::string opened(const std::string& value, const std::string& agentId) {
    auto r = openWebhookSecret(value, &box_, webhookSecretContext(teamId_, agentId));
    return r ? *r : "<" + r.error() + ">";
  }

  SecretBox box_ = *SecretBox::fromHex(std::string(64, '7'));
};

TEST_P(WebhookSecretsTest, SecretsAreStoredSealedForTheirAgentAndKeptAcrossAnEdit) {
  auto res =
      send(verb::post, "/v1/agents",
           R"({"id": "hooked", "name": "H", "webhooks": [{"url": "https://a.example/h", "secret": "first-secret"}]})");
  ASSERT_EQ(res.result(), status::created) << res.body();
  EXPECT_EQ(stored("hooked").find("first-secret"), std::string::npos) << stored("hooked");
  const auto sealed = storedSecret("hooked", 0);
  EXPECT_TRUE(sealed.starts_with(kSealedSecretPrefix)) << sealed;
  EXPECT_EQ(opened(sealed, "hooked"), "first-secret");
  // Bound to its agent: the same value under another agent does not open.
  EXPECT_FALSE(openWebhookSecret(sealed, &box_, webhookSecretContext(teamId_, "other")));
  EXPECT_FALSE(openWebhookSecret(sealed, &box_, webhookSecretContext(otherTeam_, "hooked")));
  EXPECT_FALSE(openWebhookSecret(sealed, nullptr, webhookSecretContext(teamId_, "hooked")));

  // GET-edit-PUT with the mask: the same sealed value stays; a new secret is sealed anew.
  auto shown = bodyOf(send(verb::get, "/v1/agents/hooked")).as_object();
  EXPECT_EQ(shown.at("webhooks").at(0).at("secret"), "********");
  auto& hooks = shown["webhooks"].as_array();
  hooks[0].as_object()["url"] = "https://b.example/h";
  hooks.push_back({{"url", "https://c.example/h"}, {"secret", "second-secret"}});
  for (const char* owned : {"created_at", "updated_at", "version"}) shown.erase(owned);
  res = send(verb::put, "/v1/agents/hooked", json::serialize(shown));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body().find("second-secret"), std::string::npos);
  EXPECT_EQ(storedSecret("hooked", 0), sealed);
  EXPECT_EQ(opened(storedSecret("hooked", 1), "hooked"), "second-secret");
  EXPECT_EQ(stored("hooked").find("second-secret"), std::string::npos);

  // The seed's form too.
  res = send(
      verb::post, "/v1/agents",
      R"({"id": "seed", "name": "S", "webhooks": {"on_call_end": "https://a.example/e", "secret": "seed-secret"}})");
  ASSERT_EQ(res.result(), status::created) << res.body();
  const auto seedSecret = std::string(json::parse(stored("seed")).at("webhooks").at("secret").as_string());
  EXPECT_EQ(opened(seedSecret, "seed"), "seed-secret");
}

TEST_P(WebhookSecretsTest, SecretsStoredInClearAreSealedAtStartAndStillSign) {
  AgentRecord old;
  old.id = "legacy";
  old.name = "L";
  old.version = 3;
  old.configJson = R"({"name":"L","webhooks":[{"url":"https://a.example/","secret":"old-secret"},)"
                   R"({"url":"https://b.example/","events":["call.ended"]}]})";
  old.createdAt = old.updatedAt = 1;
  ASSERT_TRUE(repo().createAgent(teamId_, old));
  // A clear value reads as itself until it is sealed.
  EXPECT_EQ(opened("old-secret", "legacy"), "old-secret");
  api_ = std::make_unique<ControlApi>(repo(), CallSettings{}, ApiLimits{}, WebhookDeliverySettings{}, DevKey::Refused,
                                      box_);
  EXPECT_EQ(stored("legacy").find("old-secret"), std::string::npos) << stored("legacy");
  EXPECT_EQ(opened(storedSecret("legacy", 0), "legacy"), "old-secret");
  EXPECT_EQ(repo().getAgent(teamId_, "legacy")->version, 3) << "a change of representation, not of the agent";
  // Once sealed, a restart leaves it alone.
  EXPECT_EQ(sealStoredWebhookSecrets(repo(), box_), 0u);
}

TEST_P(WebhookSecretsTest, ACallWithOverridesOnAnAgentWithSealedSecretsIsNotRefused) {
  auto res = send(verb::post, "/v1/agents",
                  R"({"id": "o", "name": "O", "client_override_keys": ["first_message"],
                      "webhooks": [{"url": "https://a.example/h", "secret": ")" +
                      std::string(200, 's') + R"("}]})");
  ASSERT_EQ(res.result(), status::created) << res.body();
  res = send(verb::post, "/v1/calls", R"({"agent_id": "o", "overrides": {"first_message": "Hi!"}})");
  EXPECT_EQ(res.result(), status::created) << res.body();
}

INSTANTIATE_TEST_SUITE_P(Stores, WebhookSecretsTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace convox::control_api::testing

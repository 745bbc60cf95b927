#include "control_api/agent_config.hpp"
#include "../agent_config/seed_document.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace convox::control_api {
namespace {

std::vector<FieldError> check(const char* text) { return validateAgentDocument(boost::json::parse(text)); }

bool hasError(const std::vector<FieldError>& errors, const std::string& field, const std::string& code) {
  for (const auto& e : errors) {
    if (e.field == field && e.code == code) return true;
  }
  return false;
}

TEST(AgentConfig, AFullDocumentIsValid) {
  const auto errors = check(R"({
    "id": "support-bot", "name": "Support", "description": "answers questions",
    "stt": {"provider": "whisper", "model": "base", "language": "en"},
    "llm": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.3, "max_tokens": 300,
            "provider_config": {"base_url": "http://127.0.0.1:1"}},
    "tts": {"provider": "piper", "voice": "en_US-amy"},
    "vad": {"threshold": 0.5, "min_silence_ms": 400},
    "interruption_handling": {"enabled": true, "min_words": 2},
    "first_message": {"inbound": "Hello!", "outbound": "Hi, this is Convox."},
    "system_prompt": "Be brief.", "keywords": ["Convox"],
    "dialog_rules": [{"when": "greeting", "say": "Hello"}],
    "results": [{"name": "booked", "type": "boolean"}],
    "webhooks": [{"url": "https://example.invalid/hook", "events": ["call.ended"], "include_transcript": true,
                  "secret": "s3cret"}],
    "limits": {"max_duration_seconds": 600, "silence_timeout_seconds": 20}
  })");
  for (const auto& e : errors) ADD_FAILURE() << e.field << ": " << e.message;
}

TEST(AgentConfig, TheSeedExampleIsAcceptedAsWritten) {
  const auto errors = check(kSeedAgentDocument);
  for (const auto& e : errors) ADD_FAILURE() << e.field << " " << e.code << ": " << e.message;
}

TEST(AgentConfig, EveryProblemIsReportedWithItsPath) {
  const auto errors = check(R"({
    "id": "bad id!", "description": 7, "colour": "red",
    "llm": {"model": "x", "temperature": 5},
    "tts": {"provider": "p", "speed": 2},
    "results": [{"name": "ok", "type": "string"}, {"name": "n", "type": "date"}],
    "webhooks": [{"url": "https://h", "events": ["call.exploded"], "secret": "s"}],
    "limits": {"max_duration_seconds": 1.5},
    "keywords": 7
  })");
  EXPECT_TRUE(hasError(errors, "name", "required"));
  EXPECT_TRUE(hasError(errors, "id", "invalid_value"));
  EXPECT_TRUE(hasError(errors, "description", "wrong_type"));
  EXPECT_TRUE(hasError(errors, "colour", "unknown_field"));
  EXPECT_TRUE(hasError(errors, "llm.provider", "required"));
  EXPECT_TRUE(hasError(errors, "llm.temperature", "out_of_range"));
  EXPECT_TRUE(hasError(errors, "tts.speed", "unknown_field"));
  EXPECT_TRUE(hasError(errors, "results[1].type", "invalid_value"));
  EXPECT_FALSE(hasError(errors, "results[0].type", "invalid_value"));
  EXPECT_TRUE(hasError(errors, "webhooks[0].events[0]", "invalid_value"));
  EXPECT_TRUE(hasError(errors, "limits.max_duration_seconds", "wrong_type"));
  EXPECT_TRUE(hasError(errors, "keywords", "wrong_type"));
  EXPECT_EQ(errors.size(), 11u);
}

TEST(AgentConfig, WebhookUrlsMustBeHttp) {
  EXPECT_TRUE(hasError(check(R"({"name": "a", "webhooks": [{"url": "file:///etc/passwd", "secret": "s"}]})"),
                       "webhooks[0].url", "invalid_value"));
}

TEST(AgentConfig, WebhookHostsMustBeReachableAsWritten) {
  // A scoped IPv6 literal would only fail later, at every delivery attempt.
  const auto scoped = check(R"({"name": "a", "webhooks": [{"url": "https://ok.example/", "secret": "s"},
                                                          {"url": "http://[fe80::1%25lo]/", "secret": "s"}]})");
  EXPECT_TRUE(hasError(scoped, "webhooks[1].url", "invalid_value"));
  EXPECT_EQ(scoped.size(), 1u);
  EXPECT_TRUE(hasError(check(R"({"name": "a", "webhooks": [{"url": "http://0x7f.1/", "secret": "s"}]})"),
                       "webhooks[0].url", "invalid_value"));
}

TEST(AgentConfig, WebhookIdsAreIdentifiersAndUnique) {
  EXPECT_TRUE(check(R"({"name": "a", "webhooks": [{"id": "wh_1", "url": "https://h/", "secret": "s"},
                                                   {"id": "wh_2", "url": "https://h/", "secret": "s"}]})")
                  .empty());
  EXPECT_TRUE(hasError(check(R"({"name": "a", "webhooks": [{"id": "no spaces", "url": "https://h/", "secret": "s"}]})"),
                       "webhooks[0].id", "invalid_value"));
  EXPECT_TRUE(hasError(check(R"({"name": "a", "webhooks": [{"id": "same", "url": "https://h/", "secret": "s"},
                                                            {"id": "same", "url": "https://i/", "secret": "s"}]})"),
                       "webhooks[1].id", "duplicate"));
}

TEST(AgentConfig, NonObjectsAreRejected) {
  EXPECT_TRUE(hasError(check("[]"), "", "wrong_type"));
  EXPECT_TRUE(hasError(check(R"({"name": ""})"), "name", "required"));
  EXPECT_TRUE(hasError(check(R"({"name": "n", "version": 0})"), "version", "out_of_range"));
}

}  // namespace
}  // namespace convox::control_api

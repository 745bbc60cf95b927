// The settings the worker acts on: defaults, the seed document, synonyms,
// placeholders and call-time overrides.
#include "agent_config/agent_settings.hpp"
#include "agent_config/overrides.hpp"
#include "agent_config/placeholders.hpp"
#include "seed_document.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace convox::agent_config {
namespace {

namespace json = boost::json;

AgentSettings settingsOf(const char* text) {
  auto result = settingsFromDocument(json::parse(text));
  EXPECT_TRUE(result.settings) << result.error;
  return result.settings.value_or(AgentSettings{});
}

TEST(AgentSettings, AMinimalDocumentGetsTheDefaults) {
  const auto s = settingsOf(R"({"name": "Bare"})");
  EXPECT_EQ(s.name, "Bare");
  EXPECT_EQ(s.language, "en-US");
  EXPECT_EQ(s.firstMessage.inbound, "");
  EXPECT_TRUE(s.turns.vadEnabled);
  EXPECT_EQ(s.turns.vadMinSilenceMs, 550);
  EXPECT_EQ(s.turns.minEndpointingDelayMs, 500);
  EXPECT_EQ(s.turns.maxEndpointingDelayMs, 3000);
  EXPECT_TRUE(s.turns.interruptionsEnabled);
  EXPECT_EQ(s.turns.interruptionMode, "restart");
  EXPECT_EQ(s.turns.minInterruptionDurationMs, 500);
  EXPECT_EQ(s.turns.minInterruptionWords, 0);
  EXPECT_TRUE(s.turns.resumeFalseInterruption);
  EXPECT_EQ(s.turns.falseInterruptionTimeoutMs, 2000);
  EXPECT_EQ(s.timeouts.turnAfterSilenceMs, -1);
  EXPECT_EQ(s.timeouts.endAfterSilenceMs, -1);
  EXPECT_EQ(s.timeouts.maxConversationMs, 600000);
  EXPECT_EQ(s.timeouts.llmCascadeTimeoutMs, 8000);
  EXPECT_FALSE(s.speechUncertainty.enabled);
  EXPECT_FALSE(s.speechUncertainty.lowConfidenceMessage.empty());
  EXPECT_TRUE(s.tools.endConversation);
  EXPECT_FALSE(s.tools.transferToNumber);
  EXPECT_FALSE(s.noLogging);
  EXPECT_TRUE(s.dialog.intents.empty());
  EXPECT_EQ(s.stt.provider, "");
  EXPECT_EQ(s.stt.language, "en-US");
}

TEST(AgentSettings, TheSeedDocumentMapsOntoTheSettings) {
  const auto s = settingsOf(kSeedAgentDocument);
  EXPECT_EQ(s.systemPrompt, "You are a collections agent...");
  EXPECT_EQ(s.stt.provider, "sarvam");
  EXPECT_EQ(s.stt.language, "hi-IN");
  EXPECT_EQ(s.llm.model, "gpt-4o-mini");
  EXPECT_EQ(s.llmTemperature, 0.3);
  EXPECT_EQ(s.llmMaxTokens, 150);
  EXPECT_EQ(s.tts.provider, "gnani");
  EXPECT_EQ(s.tts.voice, "priya-hi-IN");
  EXPECT_EQ(s.turns.vadMinSilenceMs, 800);
  EXPECT_EQ(s.turns.interruptionMode, "restart");
}

TEST(AgentSettings, EveryActedOnFieldIsRead) {
  const auto s = settingsOf(R"({
    "id": "rx", "name": "Receptionist", "language": "en-GB",
    "first_message": {"inbound": "Hello {{customer_name}}", "outbound": "Hi, this is the clinic"},
    "system_prompt": "Be brief.",
    "stt": {"provider": "pocketsphinx", "provider_config": {"a": 1, "b": 1}, "config": {"b": 2}},
    "tts": {"provider": "espeak", "voice": "en-gb"},
    "vad": {"enabled": false, "threshold": 0.7, "min_silence_ms": 300, "min_speech_ms": 100},
    "endpointing": {"min_delay_ms": 300, "max_delay_ms": 6000},
    "interruption_handling": {"enabled": false, "mode": "resume", "min_words": 2, "min_duration_ms": 250,
                              "resume_false_interruption": false, "false_interruption_timeout_ms": 1000},
    "eagerness": 0.9,
    "turn_after_silence_seconds": 7, "end_after_silence_seconds": 30, "max_conversation_duration_seconds": 120,
    "soft_timeout_seconds": 3, "llm_cascade_timeout_seconds": 5,
    "speech_uncertainty": {"enabled": true, "low_confidence_threshold": 0.3, "low_confidence_message": "Pardon?"},
    "keywords": "appointment, opening hours ,, human",
    "voice": {"speed": 1.2},
    "languages": [{"language": "hi", "voice": "hi-voice"}, {"language": "fr"}],
    "results": [{"name": "booked", "type": "boolean", "description": "an appointment was made"}],
    "dialog": {"intents": [{"name": "book", "keywords": ["book"], "examples": ["I want an appointment"],
                            "reply": "Which day?", "action": "collect", "slots": [{"name": "day", "type": "text"}],
                            "set_results": {"booked": true}},
                           {"name": "human", "keywords": ["human"], "action": "transfer", "transfer_to": "+4420"}],
               "fallback_reply": "Say again?", "max_fallbacks": 2, "after_max_fallbacks": "transfer"},
    "system_tools": {"transfer_to_agent": true, "end_conversation": false},
    "privacy": {"no_logging": true}
  })");
  EXPECT_EQ(s.id, "rx");
  EXPECT_EQ(s.firstMessage.inbound, "Hello {{customer_name}}");
  EXPECT_EQ(s.firstMessage.outbound, "Hi, this is the clinic");
  EXPECT_EQ(s.stt.language, "en-GB");  // the agent's language when the stage names none
  EXPECT_EQ(s.stt.config.at("a").as_int64(), 1);
  EXPECT_EQ(s.stt.config.at("b").as_int64(), 2);  // `config` wins over `provider_config`
  EXPECT_FALSE(s.turns.vadEnabled);
  EXPECT_EQ(s.turns.vadThreshold, 0.7);
  EXPECT_EQ(s.turns.vadMinSilenceMs, 300);
  EXPECT_EQ(s.turns.vadMinSpeechMs, 100);
  EXPECT_EQ(s.turns.minEndpointingDelayMs, 300);
  EXPECT_EQ(s.turns.maxEndpointingDelayMs, 6000);
  EXPECT_FALSE(s.turns.interruptionsEnabled);
  EXPECT_EQ(s.turns.interruptionMode, "resume");
  EXPECT_EQ(s.turns.minInterruptionWords, 2);
  EXPECT_EQ(s.turns.minInterruptionDurationMs, 250);
  EXPECT_FALSE(s.turns.resumeFalseInterruption);
  EXPECT_EQ(s.turns.falseInterruptionTimeoutMs, 1000);
  EXPECT_EQ(s.turns.eagerness, "high");
  EXPECT_EQ(s.timeouts.turnAfterSilenceMs, 7000);
  EXPECT_EQ(s.timeouts.endAfterSilenceMs, 30000);
  EXPECT_EQ(s.timeouts.maxConversationMs, 120000);
  EXPECT_EQ(s.timeouts.softTimeoutMs, 3000);
  EXPECT_EQ(s.timeouts.llmCascadeTimeoutMs, 5000);
  EXPECT_TRUE(s.speechUncertainty.enabled);
  EXPECT_EQ(s.speechUncertainty.lowConfidenceThreshold, 0.3);
  EXPECT_EQ(s.speechUncertainty.lowConfidenceMessage, "Pardon?");
  EXPECT_EQ(s.keywords, (std::vector<std::string>{"appointment", "opening hours", "human"}));
  EXPECT_EQ(s.voiceSpeed, 1.2);
  EXPECT_EQ(s.voiceByLanguage.at("hi"), "hi-voice");
  EXPECT_EQ(s.voiceByLanguage.at("fr"), "en-gb");  // the default voice when the language names none
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_EQ(s.results[0].type, "boolean");
  ASSERT_EQ(s.dialog.intents.size(), 2u);
  EXPECT_EQ(s.dialog.intents[0].action, "collect");
  EXPECT_EQ(s.dialog.intents[0].examples.size(), 1u);
  ASSERT_EQ(s.dialog.intents[0].slots.size(), 1u);
  EXPECT_EQ(s.dialog.intents[0].slots[0].type, "text");
  EXPECT_TRUE(s.dialog.intents[0].setResults.at("booked").as_bool());
  EXPECT_EQ(s.dialog.intents[1].action, "transfer");
  EXPECT_EQ(s.dialog.intents[1].transferTo, "+4420");
  EXPECT_EQ(s.dialog.intents[1].reply, "");
  EXPECT_EQ(s.dialog.fallbackReply, "Say again?");
  EXPECT_EQ(s.dialog.maxFallbacks, 2);
  EXPECT_EQ(s.dialog.afterMaxFallbacks, "transfer");
  EXPECT_TRUE(s.tools.transferToAgent);
  EXPECT_FALSE(s.tools.endConversation);
  EXPECT_TRUE(s.noLogging);
}

TEST(AgentSettings, LegacyFieldsStillCount) {
  const auto s = settingsOf(R"({"name": "old", "first_message": "Hi", "llm": {"provider": "x", "system_prompt": "p"},
                                "limits": {"max_duration_seconds": 60, "silence_timeout_seconds": 15}})");
  EXPECT_EQ(s.firstMessage.inbound, "Hi");
  EXPECT_EQ(s.firstMessage.outbound, "Hi");
  EXPECT_EQ(s.systemPrompt, "p");
  EXPECT_EQ(s.timeouts.maxConversationMs, 60000);
  EXPECT_EQ(s.timeouts.endAfterSilenceMs, 15000);
}

TEST(AgentSettings, TheLlmBaseUrlShorthandReachesTheProviderConfig) {
  const auto s = settingsOf(R"({"name": "a", "llm": {"provider": "vllm", "base_url": "http://10.0.0.3:8000/v1"}})");
  EXPECT_EQ(s.llm.config.at("base_url"), "http://10.0.0.3:8000/v1");
  const auto both = settingsOf(
      R"({"name": "a", "llm": {"provider": "vllm", "base_url": "http://h/v1", "config": {"base_url": "http://h/v1"}}})");
  EXPECT_EQ(both.llm.config.at("base_url"), "http://h/v1");
}

TEST(AgentSettings, ABadDocumentGivesAReasonToDecline) {
  const auto result = settingsFromDocument(json::parse(R"({"name": "x", "vad": {"enabled": "maybe"}, "colour": 1})"));
  EXPECT_FALSE(result.settings);
  EXPECT_NE(result.error.find("vad.enabled"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("1 more"), std::string::npos) << result.error;
  EXPECT_FALSE(settingsFromDocument(json::parse("[1]")).settings);
}

TEST(Placeholders, AreFoundAndRendered) {
  EXPECT_FALSE(malformedPlaceholder("no placeholders { at } all"));
  EXPECT_FALSE(malformedPlaceholder("{{a}} and {{ b_1 }}"));
  EXPECT_EQ(malformedPlaceholder("ok {{a}} bad {{a-b}}"), 13u);
  EXPECT_EQ(malformedPlaceholder("{{"), 0u);
  EXPECT_EQ(malformedPlaceholder("{{ }}"), 0u);
  const std::map<std::string, std::string> params{{"customer_name", "Rahul"}, {"loan_id", "LN-1"}};
  EXPECT_EQ(renderPlaceholders("Hello {{customer_name}}, loan {{ loan_id }}.", params), "Hello Rahul, loan LN-1.");
  EXPECT_EQ(renderPlaceholders("Hi {{unknown}}!", params), "Hi !");
  EXPECT_EQ(renderPlaceholders("{{ bad and {{customer_name}}", params), "{{ bad and Rahul");
}

json::object doc(const char* text) { return json::parse(text).as_object(); }

TEST(Overrides, OnlyListedKeysMayBeOverridden) {
  const auto config = doc(R"({"name": "a", "first_message": "Hi", "llm": {"provider": "x", "temperature": 0.2},
                              "client_override_keys": ["first_message.inbound", "llm.temperature", "voice"]})");
  auto ok = applyOverrides(config, doc(R"({"first_message": {"inbound": "Hello {{customer_name}}"},
                                           "llm": {"temperature": 0.9}, "voice": {"speed": 1.3}})"));
  ASSERT_TRUE(ok.errors.empty()) << ok.errors[0].field << " " << ok.errors[0].message;
  EXPECT_EQ(ok.effective.at("first_message").at("inbound").as_string(), "Hello {{customer_name}}");
  EXPECT_EQ(ok.effective.at("first_message").at("outbound").as_string(), "Hi");  // the string stood for both
  EXPECT_EQ(ok.effective.at("llm").at("temperature").as_double(), 0.9);
  EXPECT_EQ(ok.effective.at("llm").at("provider").as_string(), "x");  // merged, not replaced
  EXPECT_EQ(ok.effective.at("voice").at("speed").as_double(), 1.3);

  const auto refused = applyOverrides(config, doc(R"({"llm": {"provider": "other"}, "name": "b"})"));
  ASSERT_EQ(refused.errors.size(), 2u);
  EXPECT_EQ(refused.errors[0].field, "overrides.llm.provider");
  EXPECT_EQ(refused.errors[0].code, "not_overridable");
  EXPECT_NE(refused.errors[0].message.find("llm.temperature"), std::string::npos) << refused.errors[0].message;
  EXPECT_EQ(refused.errors[1].field, "overrides.name");
}

TEST(Overrides, OverriddenValuesAreValidated) {
  const auto config = doc(R"({"name": "a", "llm": {"provider": "x"},
                              "client_override_keys": ["llm.temperature", "first_message"]})");
  const auto bad = applyOverrides(config, doc(R"({"llm": {"temperature": 7}})"));
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].field, "overrides.llm.temperature");
  EXPECT_EQ(bad.errors[0].code, "out_of_range");
  EXPECT_EQ(applyOverrides(config, doc(R"({"first_message": "{{oops"})")).errors.at(0).field,
            "overrides.first_message");
  EXPECT_EQ(applyOverrides(config, doc(R"({"first_message": null})")).errors.at(0).code, "wrong_type");
}

TEST(Overrides, AnAgentWithoutOverrideKeysTakesNone) {
  const auto config = doc(R"({"name": "a", "first_message": "Hi"})");
  const auto r = applyOverrides(config, doc(R"({"first_message": "Bye"})"));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, "not_overridable");
  EXPECT_NE(r.errors[0].message.find("client_override_keys is empty"), std::string::npos) << r.errors[0].message;
  EXPECT_EQ(applyOverrides(config, {}).effective, config);
}

TEST(AgentSettings, EachStageListsItsFallbacksInOrder) {
  const auto s = settingsOf(R"({"name": "F", "language": "hi-IN",
    "stt": {"provider": "deepgram", "model": "nova-3", "fallback": [{"provider": "openai", "model": "whisper-1"}]},
    "llm": {"provider": "openai", "fallback": [{"provider": "groq", "model": "llama", "base_url": "https://g.example/v1"},
                                                {"provider": "anthropic", "config": {"x": 1}}]},
    "tts": {"provider": "elevenlabs", "voice": "v1", "fallback": [{"provider": "openai", "voice": "alloy"}]},
    "voice": {"stability": 0.3, "similarity": 0.9, "output_format": "pcm_24000"}})");
  ASSERT_EQ(s.stt.fallbacks.size(), 1u);
  EXPECT_EQ(s.stt.fallbacks[0].provider, "openai");
  EXPECT_EQ(s.stt.fallbacks[0].model, "whisper-1");
  EXPECT_EQ(s.stt.fallbacks[0].language, "hi-IN");  // the stage's language unless it names one
  ASSERT_EQ(s.llm.fallbacks.size(), 2u);
  EXPECT_EQ(s.llm.fallbacks[0].provider, "groq");
  EXPECT_EQ(s.llm.fallbacks[0].config.at("base_url").as_string(), "https://g.example/v1");
  EXPECT_EQ(s.llm.fallbacks[1].provider, "anthropic");
  EXPECT_EQ(s.llm.fallbacks[1].config.at("x").as_int64(), 1);
  ASSERT_EQ(s.tts.fallbacks.size(), 1u);
  EXPECT_EQ(s.tts.fallbacks[0].voice, "alloy");
  EXPECT_TRUE(s.tts.fallbacks[0].fallbacks.empty());
  ASSERT_TRUE(s.voiceStability && s.voiceSimilarity);
  EXPECT_DOUBLE_EQ(*s.voiceStability, 0.3);
  EXPECT_DOUBLE_EQ(*s.voiceSimilarity, 0.9);
  EXPECT_EQ(s.voiceOutputFormat, "pcm_24000");
}

}  // namespace
}  // namespace convox::agent_config

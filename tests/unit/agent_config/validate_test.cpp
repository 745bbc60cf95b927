// The agent document's schema: the seed's example accepted as written, every
// field's bad values refused with the field's path.
#include "agent_config/validate.hpp"
#include "seed_document.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace convox::agent_config {
namespace {

namespace json = boost::json;

std::vector<FieldError> check(const std::string& text) { return validateDocument(json::parse(text)); }

std::string describe(const std::vector<FieldError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.field + " " + e.code + ": " + e.message + "\n";
  return out;
}

bool hasError(const std::vector<FieldError>& errors, const std::string& field, const std::string& code) {
  for (const auto& e : errors) {
    if (e.field == field && e.code == code) return true;
  }
  return false;
}

// `field` (a JSON fragment placed in a document with a name) is refused on `path` with `code`.
void expectRefused(const std::string& fragment, const std::string& path, const std::string& code) {
  const auto errors = check(R"({"name": "a", )" + fragment + "}");
  EXPECT_TRUE(hasError(errors, path, code)) << fragment << " gave:\n" << describe(errors);
}

TEST(AgentDocument, TheSeedExampleIsValid) {
  const auto errors = check(kSeedAgentDocument);
  EXPECT_TRUE(errors.empty()) << describe(errors);
}

TEST(AgentDocument, EveryBotSettingIsAccepted) {
  const auto errors = check(R"({
    "name": "Receptionist", "language": "en-GB",
    "first_message": "Hello {{customer_name}}, how can I help?",
    "system_prompt": "You book appointments for {{ clinic }}.",
    "vad": {"enabled": true, "provider": "webrtc", "threshold": 0.6, "min_silence_ms": 600, "min_speech_ms": 80},
    "endpointing": {"min_delay_ms": 400, "max_delay_ms": 3000},
    "interruption_handling": {"enabled": true, "mode": "resume", "min_words": 1, "min_duration_ms": 400,
                              "resume_false_interruption": true, "false_interruption_timeout_ms": 1500},
    "eagerness": "high", "spelling_patience": "auto",
    "turn_after_silence_seconds": 7, "end_after_silence_seconds": -1, "max_conversation_duration_seconds": 600,
    "soft_timeout_seconds": -1, "llm_cascade_timeout_seconds": 8,
    "speech_uncertainty": {"enabled": true, "low_confidence_threshold": 0.4, "low_confidence_message": "Sorry?"},
    "system_tools": {"end_conversation": true, "skip_turn": false, "transfer_to_agent": true, "transfer_to_number": false,
                     "detect_language": false, "play_keypad_tone": false, "voicemail_detection": true},
    "guardrails": {"no_profanity": true, "no_medical_advice": false},
    "client_override_keys": ["first_message", "llm.temperature"],
    "client_events": ["audio", "user_transcript", "agent_response"],
    "privacy": {"no_logging": false, "retention_days": 30},
    "ambience": {"type": "office", "volume": 0.2},
    "voice": {"similarity": 0.7, "speed": 1.1, "stability": 0.5, "output_format": "pcm_16000",
              "streaming_latency_optimization": 3, "text_normalisation": "spell_out",
              "pronunciation_dictionary": {"url": "https://example.com/lexicon.pls", "alphabet": "ipa"}},
    "languages": [{"language": "hi", "voice": "priya", "tts_provider": "espeak"}],
    "keywords": "Convox, appointment",
    "knowledge_base_id": "kb_1", "user_input_audio_format": "pcm_16000",
    "limits": {"daily_call_limit": 100000, "concurrent_call_limit": -1, "allow_concurrency_overflow": false},
    "results": [{"name": "booked", "type": "boolean"}, {"name": "day", "type": "string"}],
    "dialog": {"intents": [{"name": "book", "keywords": ["appointment", "book"], "examples": ["I want to book"],
                            "reply": "Which day suits you, {{customer_name}}?", "action": "collect",
                            "slots": [{"name": "day", "type": "text"}], "set_results": {"booked": true}},
                           {"name": "bye", "keywords": ["goodbye"], "reply": "Goodbye!", "action": "end_call"}],
               "fallback_reply": "Sorry, could you repeat that?", "max_fallbacks": 2, "after_max_fallbacks": "transfer"},
    "webhooks": {"on_call_end": "https://crm.example/end", "secret": "s3cret"}
  })");
  EXPECT_TRUE(errors.empty()) << describe(errors);
}

TEST(AgentDocument, NewFieldsRefuseBadValuesWithTheirPath) {
  expectRefused(R"("llm": {"provider": "x", "system_prompt": 5})", "llm.system_prompt", "wrong_type");
  expectRefused(R"("stt": {"provider": "x", "config": []})", "stt.config", "wrong_type");
  expectRefused(R"("stt": {"provider": "x", "language": "hindi language"})", "stt.language", "invalid_value");
  expectRefused(R"("tts": {"provider": "x", "config": "fast"})", "tts.config", "wrong_type");
  expectRefused(R"("telephony": {"from_number": "+91"})", "telephony.provider", "required");
  expectRefused(R"("telephony": {"provider": "exotel", "from_number": "0091 98765"})", "telephony.from_number",
                "invalid_value");
  expectRefused(R"("vad": {"enabled": "yes"})", "vad.enabled", "wrong_type");
  expectRefused(R"("vad": {"silence_threshold_ms": 60001})", "vad.silence_threshold_ms", "out_of_range");
  expectRefused(R"("interruption_handling": {"mode": "explode"})", "interruption_handling.mode", "invalid_value");
  expectRefused(R"("interruption_handling": {"false_interruption_timeout_ms": -5})",
                "interruption_handling.false_interruption_timeout_ms", "out_of_range");
  expectRefused(R"("compliance": {"dpdp": {"retention_days": 0}})", "compliance.dpdp.retention_days", "out_of_range");
  expectRefused(R"("compliance": {"dpdp": {"consent_language": "x"}})", "compliance.dpdp.consent_language",
                "invalid_value");
  expectRefused(R"("compliance": {"gdpr": {}})", "compliance.gdpr", "unknown_field");
  expectRefused(R"("first_message": 3)", "first_message", "wrong_type");
  expectRefused(R"("first_message": {"inbound": "hi", "sideways": "x"})", "first_message.sideways", "unknown_field");
  expectRefused(R"("llm": {"provider": "openai", "fallback": [{"model": "m"}]})", "llm.fallback[0].provider",
                "required");
  expectRefused(R"("llm": {"provider": "openai", "fallback": [{"provider": "groq", "base_url": "ftp://x"}]})",
                "llm.fallback[0].base_url", "invalid_value");
  expectRefused(R"("stt": {"provider": "deepgram", "fallback": [{"provider": "openai", "fallback": []}]})",
                "stt.fallback[0].fallback", "unknown_field");
  expectRefused(R"("tts": {"provider": "elevenlabs", "fallback": [{"provider": "openai", "config": {"base_url": 3}}]})",
                "tts.fallback[0].config.base_url", "invalid_value");
  expectRefused(R"("eagerness": "frantic")", "eagerness", "invalid_value");
  expectRefused(R"("eagerness": 1.5)", "eagerness", "out_of_range");
  expectRefused(R"("eagerness": true)", "eagerness", "wrong_type");
  expectRefused(R"("spelling_patience": "maybe")", "spelling_patience", "invalid_value");
  expectRefused(R"("turn_after_silence_seconds": 0)", "turn_after_silence_seconds", "out_of_range");
  expectRefused(R"("turn_after_silence_seconds": -2)", "turn_after_silence_seconds", "out_of_range");
  expectRefused(R"("end_after_silence_seconds": 2.5)", "end_after_silence_seconds", "wrong_type");
  expectRefused(R"("max_conversation_duration_seconds": -1)", "max_conversation_duration_seconds", "out_of_range");
  expectRefused(R"("soft_timeout_seconds": 601)", "soft_timeout_seconds", "out_of_range");
  expectRefused(R"("llm_cascade_timeout_seconds": 0)", "llm_cascade_timeout_seconds", "out_of_range");
  expectRefused(R"("speech_uncertainty": {"low_confidence_threshold": 1.2})",
                "speech_uncertainty.low_confidence_threshold", "out_of_range");
  expectRefused(R"("system_tools": {"end_conversation": 1})", "system_tools.end_conversation", "wrong_type");
  expectRefused(R"("system_tools": {"self_destruct": true})", "system_tools.self_destruct", "unknown_field");
  expectRefused(R"("guardrails": {"no pii": true})", "guardrails.no pii", "invalid_value");
  expectRefused(R"("guardrails": {"no_pii": "on"})", "guardrails.no_pii", "wrong_type");
  expectRefused(R"("guardrails": {"g1":true,"g2":true,"g3":true,"g4":true,"g5":true,"g6":true,"g7":true,"g8":true,
                                  "g9":true,"g10":true,"g11":true,"g12":true,"g13":true,"g14":true,"g15":true,"g16":true})",
                "guardrails", "too_long");
  expectRefused(R"("client_override_keys": ["webhooks"])", "client_override_keys[0]", "invalid_value");
  expectRefused(R"("client_override_keys": ["language", "language"])", "client_override_keys[1]", "duplicate");
  expectRefused(R"("client_events": ["telepathy"])", "client_events[0]", "invalid_value");
  expectRefused(R"("privacy": {"no_logging": "true"})", "privacy.no_logging", "wrong_type");
  expectRefused(R"("privacy": {"retention_days": -7})", "privacy.retention_days", "out_of_range");
  expectRefused(R"("ambience": {"type": "jungle"})", "ambience.type", "invalid_value");
  expectRefused(R"("ambience": {"volume": 2})", "ambience.volume", "out_of_range");
  expectRefused(R"("voice": {"similarity": -0.1})", "voice.similarity", "out_of_range");
  expectRefused(R"("voice": {"speed": 9})", "voice.speed", "out_of_range");
  expectRefused(R"("voice": {"stability": "high"})", "voice.stability", "wrong_type");
  expectRefused(R"("voice": {"output_format": "wav"})", "voice.output_format", "invalid_value");
  expectRefused(R"("voice": {"streaming_latency_optimization": 5})", "voice.streaming_latency_optimization",
                "out_of_range");
  expectRefused(R"("voice": {"text_normalisation": "shout"})", "voice.text_normalisation", "invalid_value");
  expectRefused(R"("voice": {"pronunciation_dictionary": {"url": "file:///etc/lexicon.pls"}})",
                "voice.pronunciation_dictionary.url", "invalid_value");
  expectRefused(R"("languages": [{"voice": "v"}])", "languages[0].language", "required");
  expectRefused(R"("languages": [{"language": "hi"}, {"language": "hi"}])", "languages[1].language", "duplicate");
  expectRefused(R"("keywords": 7)", "keywords", "wrong_type");
  expectRefused(R"("knowledge_base_id": "kb/1")", "knowledge_base_id", "invalid_value");
  expectRefused(R"("user_input_audio_format": "mp3")", "user_input_audio_format", "invalid_value");
  expectRefused(R"("limits": {"daily_call_limit": 0})", "limits.daily_call_limit", "out_of_range");
  expectRefused(R"("limits": {"concurrent_call_limit": 1.5})", "limits.concurrent_call_limit", "wrong_type");
  expectRefused(R"("limits": {"allow_concurrency_overflow": 3})", "limits.allow_concurrency_overflow", "wrong_type");
  expectRefused(R"("endpointing": {"min_delay_ms": 2000, "max_delay_ms": 1000})", "endpointing.max_delay_ms",
                "out_of_range");
  expectRefused(R"("results": [{"name": "a", "type": "string"}, {"name": "a", "type": "number"}])", "results[1].name",
                "duplicate");
}

TEST(AgentDocument, PlaceholdersMustBeWellFormed) {
  EXPECT_TRUE(
      check(R"({"name": "a", "first_message": {"inbound": "Hi {{ name }}", "outbound": "{{a}}{{b_2}}"}})").empty());
  expectRefused(R"("first_message": {"outbound": "Hi {{customer name}}"})", "first_message.outbound", "invalid_value");
  expectRefused(R"("first_message": "Hi {{customer_name}")", "first_message", "invalid_value");
  expectRefused(R"("system_prompt": "{{1st}}")", "system_prompt", "invalid_value");
  expectRefused(R"("llm": {"provider": "x", "system_prompt": "ok {{a}} then {{"})", "llm.system_prompt",
                "invalid_value");
  expectRefused(R"("dialog": {"intents": [{"name": "i", "keywords": ["k"], "reply": "{{}}"}]})",
                "dialog.intents[0].reply", "invalid_value");
  expectRefused(R"("speech_uncertainty": {"low_confidence_message": "{{ x y }}"})",
                "speech_uncertainty.low_confidence_message", "invalid_value");
  const auto errors = check(R"({"name": "a", "first_message": "at {{ bad"})");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("byte 3"), std::string::npos) << errors[0].message;
}

TEST(AgentDocument, TheSeedWebhookFormIsChecked) {
  expectRefused(R"("webhooks": {"on_call_end": "ftp://crm.example/x"})", "webhooks.on_call_end", "invalid_value");
  expectRefused(R"("webhooks": {"on_transcript_ready": 5})", "webhooks.on_transcript_ready", "wrong_type");
  expectRefused(R"("webhooks": {"on_call_start": "https://crm.example/"})", "webhooks.on_call_start", "unknown_field");
  expectRefused(R"("webhooks": {"on_call_end": "https://crm.example/", "secret": ""})", "webhooks.secret", "required");
  expectRefused(R"("webhooks": "https://crm.example/")", "webhooks", "wrong_type");
  // Today's list form keeps its rules.
  expectRefused(R"("webhooks": [{"url": "https://h/"}])", "webhooks[0].secret", "required");
}

TEST(AgentDocument, SynonymsMustAgree) {
  EXPECT_TRUE(check(R"({"name": "a", "system_prompt": "p", "llm": {"provider": "x", "system_prompt": "p"}})").empty());
  expectRefused(R"("system_prompt": "p", "llm": {"provider": "x", "system_prompt": "q"})", "llm.system_prompt",
                "conflict");
  expectRefused(R"("vad": {"min_silence_ms": 500, "silence_threshold_ms": 800})", "vad.silence_threshold_ms",
                "conflict");
  expectRefused(R"("limits": {"max_duration_seconds": 60}, "max_conversation_duration_seconds": 90)",
                "max_conversation_duration_seconds", "conflict");
}

TEST(AgentDocument, AnLlmEndpointIsAnHttpUrl) {
  // An OpenAI-compatible agent names its server in llm.config.base_url, or llm.base_url for short.
  EXPECT_TRUE(
      check(R"({"name": "a", "llm": {"provider": "openai", "config": {"base_url": "http://127.0.0.1:8080/v1"}}})")
          .empty());
  EXPECT_TRUE(check(R"({"name": "a", "llm": {"provider": "ollama", "base_url": "http://10.0.0.2:11434/v1"}})").empty());
  expectRefused(R"("llm": {"provider": "openai", "config": {"base_url": "localhost:8080"}})", "llm.config.base_url",
                "invalid_value");
  expectRefused(R"("llm": {"provider": "openai", "config": {"base_url": 8080}})", "llm.config.base_url",
                "invalid_value");
  expectRefused(R"("llm": {"provider": "openai", "base_url": "ftp://h/v1"})", "llm.base_url", "invalid_value");
  expectRefused(R"("llm": {"provider": "openai", "base_url": "http://a/v1", "config": {"base_url": "http://b/v1"}})",
                "llm.config.base_url", "conflict");
}

TEST(AgentDocument, DialogIntentsAreChecked) {
  const std::string results = R"("results": [{"name": "booked", "type": "boolean"}], )";
  expectRefused(results + R"("dialog": {"intents": [{"name": "i", "reply": "r"}]})", "dialog.intents[0].keywords",
                "required");
  expectRefused(
      results + R"("dialog": {"intents": [{"name": "i", "keywords": ["a"]}, {"name": "i", "keywords": ["b"]}]})",
      "dialog.intents[1].name", "duplicate");
  expectRefused(results + R"("dialog": {"intents": [{"name": "i", "keywords": ["a"], "set_results": {"paid": true}}]})",
                "dialog.intents[0].set_results.paid", "invalid_value");
  expectRefused(
      results + R"("dialog": {"intents": [{"name": "i", "keywords": ["a"], "set_results": {"booked": "yes"}}]})",
      "dialog.intents[0].set_results.booked", "wrong_type");
  expectRefused(R"("dialog": {"intents": [{"name": "i", "keywords": ["a"], "action": "dance"}]})",
                "dialog.intents[0].action", "invalid_value");
  expectRefused(
      R"("dialog": {"intents": [{"name": "i", "keywords": ["a"], "slots": [{"name": "s", "type": "colour"}]}]})",
      "dialog.intents[0].slots[0].type", "invalid_value");
  expectRefused(R"("dialog": {"max_fallbacks": 0})", "dialog.max_fallbacks", "out_of_range");
  expectRefused(R"("dialog": {"rules": []})", "dialog.rules", "unknown_field");
}

TEST(AgentDocument, RetryContextIsChecked) {
  EXPECT_TRUE(
      validateRetryContext(json::parse(R"({"previous_conversation_id": "conv_1", "collected_data": {"amount": 500},
      "opening_message": "Hi {{customer_name}}, about your promise to pay", "language": "hi", "stage_id": "promise"})"))
          .empty());
  const auto errors = validateRetryContext(json::parse(R"({"collected_data": {"a": {}}, "opening_message": "{{",
                                                          "stage": "x", "language": "?"})"));
  EXPECT_TRUE(hasError(errors, "retry_context.collected_data.a", "wrong_type")) << describe(errors);
  EXPECT_TRUE(hasError(errors, "retry_context.opening_message", "invalid_value")) << describe(errors);
  EXPECT_TRUE(hasError(errors, "retry_context.stage", "unknown_field")) << describe(errors);
  EXPECT_TRUE(hasError(errors, "retry_context.language", "invalid_value")) << describe(errors);
}

}  // namespace
}  // namespace convox::agent_config

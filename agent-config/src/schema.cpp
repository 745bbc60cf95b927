// The agent document's fields. Sources: the seed specification's example
// agent (../shared/seeds/000), its bot settings (001 §5-6), calls and
// results (004), plus Convox's own: dialog (the offline dialog engine),
// endpointing and the interruption details of LiveKit Agents.
#include "schema.hpp"

#include "agent_config/validate.hpp"

namespace convox::agent_config {
namespace {

Spec make(Kind kind, bool required = false) {
  Spec s;
  s.kind = kind;
  s.required = required;
  return s;
}
Spec str(size_t maxLength, bool required = false) {
  Spec s = make(Kind::String, required);
  s.maxLength = maxLength;
  return s;
}
Spec text(size_t maxLength, bool required = false) {
  Spec s = str(maxLength, required);
  s.templated = true;
  return s;
}
Spec identifier(size_t maxLength = 64, bool required = false) {
  Spec s = str(maxLength, required);
  s.identifier = true;
  return s;
}
Spec language(bool required = false) {
  Spec s = str(35, required);
  s.languageTag = true;
  return s;
}
Spec url(bool required = false) {
  Spec s = str(2000, required);
  s.httpUrl = true;
  return s;
}
Spec ranged(Kind kind, double min, double max) {
  Spec s = make(kind);
  s.min = min;
  s.max = max;
  return s;
}
Spec integer(double min, double max) { return ranged(Kind::Integer, min, max); }
// -1 or [min, max]: the seed's way of saying "never" or "unlimited".
Spec integerOrNever(double min, double max) {
  Spec s = integer(min, max);
  s.minusOneAllowed = true;
  return s;
}
Spec number(double min, double max) { return ranged(Kind::Number, min, max); }
Spec boolean() { return make(Kind::Boolean); }
Spec anyObject() { return make(Kind::AnyObject); }
Spec object(std::map<std::string, Spec> fields, bool required = false) {
  Spec s = make(Kind::Object, required);
  s.fields = std::move(fields);
  return s;
}
Spec array(Spec items, size_t maxItems, bool unique = false) {
  Spec s = make(Kind::Array);
  s.maxLength = maxItems;
  s.unique = unique;
  s.items = std::make_shared<Spec>(std::move(items));
  return s;
}
Spec map(Spec values, size_t maxEntries) {
  Spec s = make(Kind::Map);
  s.maxLength = maxEntries;
  s.items = std::make_shared<Spec>(std::move(values));
  return s;
}
Spec either(std::vector<Spec> alternatives) {
  Spec s = make(Kind::Either);
  s.either = std::move(alternatives);
  return s;
}
Spec oneOf(std::vector<std::string> values, bool required = false) {
  Spec s = str(64, required);
  s.oneOf = std::move(values);
  return s;
}

// `config` is the seed's name for provider settings, `provider_config` the
// one Convox had first; both pass through to the provider.
// `fallback` (a Convox extension beside the seed's fields): the providers
// to try, in order, when this one fails or is too slow for a request.
Spec providerStage(std::map<std::string, Spec> extra = {}) {
  std::map<std::string, Spec> fields{{"provider", str(64, true)},
                                     {"model", str(200)},
                                     {"language", language()},
                                     {"config", anyObject()},
                                     {"provider_config", anyObject()}};
  auto fallback = fields;
  for (const auto& [name, spec] : extra) {
    if (name == "provider" || name == "model" || name == "voice" || name == "base_url") fallback.emplace(name, spec);
  }
  fields.merge(extra);
  fields.emplace("fallback", array(object(std::move(fallback)), 4));
  return object(std::move(fields));
}

std::vector<std::string> audioFormats() {
  return {"pcm_8000",  "pcm_16000", "pcm_22050", "pcm_24000", "pcm_44100",
          "pcm_48000", "ulaw_8000", "alaw_8000", "opus_48000"};
}

Spec webhooksSpec() {
  Spec secret = str(200, true);
  auto list = array(object({{"id", identifier()},
                            {"url", url(true)},
                            {"events", array(oneOf(webhookEventNames()), 16, true)},
                            {"include_transcript", boolean()},
                            {"secret", secret}}),
                    20);
  // The seed's form: one URL per event. Its `secret` is our extension.
  Spec optionalSecret = str(200);
  optionalSecret.nonEmpty = true;
  auto byEvent = object({{"on_call_end", url()}, {"on_transcript_ready", url()}, {"secret", optionalSecret}});
  return either({list, byEvent});
}

Spec dialogSpec() {
  auto slot = object({{"name", identifier(64, true)}, {"type", oneOf({"number", "digits", "yes_no", "text"}, true)}});
  auto intent = object({
      {"name", identifier(64, true)},
      {"keywords", array(str(200), 100)},
      {"examples", array(str(500), 100)},
      {"reply", text(4000)},
      {"action", oneOf({"none", "end_call", "transfer", "collect"})},
      {"transfer_to", str(200)},
      {"slots", array(slot, 10)},
      {"set_results", map(either({text(4000), number(-1e15, 1e15), boolean()}), 100)},
  });
  return object({{"intents", array(intent, 200)},
                 {"fallback_reply", text(4000)},
                 {"max_fallbacks", integer(1, 20)},
                 {"after_max_fallbacks", oneOf({"end_call", "transfer"})}});
}

Spec voiceSpec() {
  auto formats = audioFormats();
  formats.emplace_back("mp3_44100");
  return object({{"similarity", number(0, 1)},
                 {"speed", number(0.25, 4)},
                 {"stability", number(0, 1)},
                 {"output_format", oneOf(formats)},
                 {"streaming_latency_optimization", integer(0, 4)},
                 {"text_normalisation", oneOf({"default", "spell_out", "off"})},
                 {"pronunciation_dictionary", object({{"url", url(true)}, {"alphabet", oneOf({"ipa", "cmu"})}})}});
}

void conversationFields(std::map<std::string, Spec>& f) {
  f.emplace("first_message", either({text(4000), object({{"inbound", text(4000)}, {"outbound", text(4000)}})}));
  f.emplace("vad", object({{"enabled", boolean()},
                           {"provider", str(64)},
                           {"threshold", number(0, 1)},
                           {"min_silence_ms", integer(0, 60000)},
                           {"silence_threshold_ms", integer(0, 60000)},
                           {"min_speech_ms", integer(0, 10000)}}));
  f.emplace("endpointing", object({{"min_delay_ms", integer(0, 10000)}, {"max_delay_ms", integer(0, 30000)}}));
  f.emplace("interruption_handling", object({{"enabled", boolean()},
                                             {"mode", oneOf({"restart", "resume"})},
                                             {"min_words", integer(0, 100)},
                                             {"min_duration_ms", integer(0, 60000)},
                                             {"resume_false_interruption", boolean()},
                                             {"false_interruption_timeout_ms", integer(0, 60000)}}));
  f.emplace("eagerness", either({oneOf({"low", "normal", "high"}), number(0, 1)}));
  f.emplace("spelling_patience", oneOf({"auto", "on", "off"}));
  f.emplace("turn_after_silence_seconds", integerOrNever(1, 3600));
  f.emplace("end_after_silence_seconds", integerOrNever(1, 86400));
  f.emplace("max_conversation_duration_seconds", integer(1, 86400));
  f.emplace("soft_timeout_seconds", integerOrNever(1, 600));
  f.emplace("llm_cascade_timeout_seconds", integer(1, 600));
  f.emplace("speech_uncertainty", object({{"enabled", boolean()},
                                          {"low_confidence_threshold", number(0, 1)},
                                          {"low_confidence_message", text(1000)}}));
}

void toolAndSafetyFields(std::map<std::string, Spec>& f) {
  f.emplace("system_tools", object({{"end_conversation", boolean()},
                                    {"skip_turn", boolean()},
                                    {"transfer_to_agent", boolean()},
                                    {"transfer_to_number", boolean()},
                                    {"detect_language", boolean()},
                                    {"play_keypad_tone", boolean()},
                                    {"voicemail_detection", boolean()}}));
  f.emplace("guardrails", map(boolean(), 15));
  f.emplace("client_override_keys", array(oneOf(overridableKeys()), 50, true));
  f.emplace("client_events",
            array(oneOf({"audio", "agent_response", "client_tool_call", "agent_chat_response_part", "interruption",
                         "user_transcript", "conversation_initiation_metadata", "agent_response_correction"}),
                  20, true));
  f.emplace("privacy", object({{"no_logging", boolean()}, {"retention_days", integerOrNever(1, 36500)}}));
  f.emplace("compliance", object({{"dpdp", object({{"enabled", boolean()},
                                                   {"consent_language", language()},
                                                   {"consent_purpose", str(200)},
                                                   {"retention_days", integerOrNever(1, 36500)}})}}));
}

}  // namespace

const Spec& documentSpec() {
  static const Spec kSpec = [] {
    Spec phone = str(16);
    phone.phoneNumber = true;
    std::map<std::string, Spec> f{
        {"id", identifier()},
        {"version", integer(1, 9e15)},
        {"name", str(200, true)},
        {"description", str(2000)},
        {"language", language()},
        {"stt", providerStage()},
        {"llm", providerStage({{"system_prompt", text(100000)},
                               {"temperature", number(0, 2)},
                               {"max_tokens", integer(1, 1'000'000)},
                               {"base_url", url()}})},
        {"tts", providerStage({{"voice", str(200)}})},
        {"telephony", object({{"provider", str(64, true)}, {"from_number", phone}, {"config", anyObject()}})},
        {"system_prompt", text(100000)},
        {"keywords", either({array(str(200), 1000), str(20000)})},
        {"dialog_rules", array(object({{"when", str(2000, true)}, {"say", text(4000, true)}}), 500)},
        {"dialog", dialogSpec()},
        {"results", array(object({{"name", str(100, true)},
                                  {"type", oneOf({"string", "number", "boolean"}, true)},
                                  {"description", str(2000)}}),
                          100)},
        {"webhooks", webhooksSpec()},
        {"limits", object({{"max_duration_seconds", integer(1, 86400)},
                           {"silence_timeout_seconds", integer(1, 3600)},
                           {"daily_call_limit", integerOrNever(1, 1e9)},
                           {"concurrent_call_limit", integerOrNever(1, 1e6)},
                           {"allow_concurrency_overflow", boolean()}})},
        {"ambience", object({{"type", oneOf({"none", "office", "call_center", "restaurant", "salsa", "concert"})},
                             {"volume", number(0, 1)}})},
        {"voice", voiceSpec()},
        {"languages",
         array(object({{"language", language(true)}, {"voice", str(200)}, {"tts_provider", str(64)}}), 20)},
        {"knowledge_base_id", identifier()},
        {"user_input_audio_format", oneOf(audioFormats())},
    };
    conversationFields(f);
    toolAndSafetyFields(f);
    return object(std::move(f));
  }();
  return kSpec;
}

const Spec& retryContextSpec() {
  static const Spec kSpec = object({
      {"previous_conversation_id", identifier()},
      {"collected_data", map(either({str(4000), number(-1e15, 1e15), boolean()}), 100)},
      {"opening_message", text(4000)},
      {"language", language()},
      {"stage_id", identifier()},
  });
  return kSpec;
}

const std::vector<std::string>& webhookEventNames() {
  static const std::vector<std::string> kEvents{"call.started", "call.ended", "transcript.ready"};
  return kEvents;
}

// What a call may change about how the agent talks; never who it is (id,
// name), where its data goes (webhooks, privacy, compliance), what it may
// cost (providers, limits) or these keys themselves.
const std::vector<std::string>& overridableKeys() {
  static const std::vector<std::string> kKeys{"language",
                                              "first_message",
                                              "first_message.inbound",
                                              "first_message.outbound",
                                              "system_prompt",
                                              "llm.system_prompt",
                                              "llm.model",
                                              "llm.temperature",
                                              "llm.max_tokens",
                                              "stt.language",
                                              "stt.model",
                                              "tts.voice",
                                              "tts.language",
                                              "voice",
                                              "voice.speed",
                                              "voice.stability",
                                              "voice.similarity",
                                              "languages",
                                              "keywords",
                                              "eagerness",
                                              "spelling_patience",
                                              "turn_after_silence_seconds",
                                              "end_after_silence_seconds",
                                              "max_conversation_duration_seconds",
                                              "speech_uncertainty",
                                              "interruption_handling",
                                              "vad",
                                              "endpointing",
                                              "ambience",
                                              "results",
                                              "dialog"};
  return kKeys;
}

}  // namespace convox::agent_config

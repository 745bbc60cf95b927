#include "agent_config/agent_settings.hpp"

#include "agent_config/validate.hpp"

#include <boost/json.hpp>

namespace convox::agent_config {
namespace {

namespace json = boost::json;

// Readers for a document that passed validation: every present value has the
// schema's type, so they only look up and convert.
const json::object* objectAt(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}
void read(const json::object* obj, std::string_view key, std::string& out) {
  if (const auto* v = obj ? obj->if_contains(key) : nullptr; v && v->is_string()) out = std::string(v->get_string());
}
void read(const json::object* obj, std::string_view key, bool& out) {
  if (const auto* v = obj ? obj->if_contains(key) : nullptr; v && v->is_bool()) out = v->get_bool();
}
void read(const json::object* obj, std::string_view key, double& out) {
  if (const auto* v = obj ? obj->if_contains(key) : nullptr; v && v->is_number()) out = v->to_number<double>();
}
void read(const json::object* obj, std::string_view key, int64_t& out, int64_t scale = 1) {
  if (const auto* v = obj ? obj->if_contains(key) : nullptr; v && (v->is_int64() || v->is_uint64())) {
    const auto n = v->to_number<int64_t>();
    out = n == -1 ? -1 : n * scale;
  }
}
std::vector<std::string> strings(const json::object* obj, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = obj ? obj->if_contains(key) : nullptr; v && v->is_array()) {
    for (const auto& s : v->get_array()) out.emplace_back(s.as_string());
  }
  return out;
}

ProviderChoice providerFrom(const json::object* stage, const std::string& language) {
  ProviderChoice p;
  read(stage, "provider", p.provider);
  read(stage, "model", p.model);
  read(stage, "voice", p.voice);
  p.language = language;
  read(stage, "language", p.language);
  if (const auto* c = stage ? objectAt(*stage, "provider_config") : nullptr) p.config = *c;
  if (const auto* c = stage ? objectAt(*stage, "config") : nullptr) {
    for (const auto& [k, v] : *c) p.config[k] = v;
  }
  return p;
}

ProviderChoice provider(const json::object& doc, std::string_view key, const std::string& language) {
  const auto* stage = objectAt(doc, key);
  ProviderChoice p = providerFrom(stage, language);
  if (const auto* list = stage ? stage->if_contains("fallback") : nullptr; list && list->is_array()) {
    for (const auto& f : list->get_array()) {
      if (!f.is_object()) continue;
      auto next = providerFrom(&f.get_object(), p.language);
      // A fallback's base_url (llm) travels with its config, as the stage's does.
      if (const auto* url = f.get_object().if_contains("base_url"); url && url->is_string()) {
        next.config["base_url"] = *url;
      }
      p.fallbacks.push_back(std::move(next));
    }
  }
  return p;
}

void readTurns(const json::object& doc, TurnTaking& t) {
  const auto* vad = objectAt(doc, "vad");
  read(vad, "enabled", t.vadEnabled);
  read(vad, "threshold", t.vadThreshold);
  read(vad, "min_silence_ms", t.vadMinSilenceMs);
  read(vad, "silence_threshold_ms", t.vadMinSilenceMs);
  read(vad, "min_speech_ms", t.vadMinSpeechMs);
  const auto* endpointing = objectAt(doc, "endpointing");
  read(endpointing, "min_delay_ms", t.minEndpointingDelayMs);
  read(endpointing, "max_delay_ms", t.maxEndpointingDelayMs);
  const auto* interruption = objectAt(doc, "interruption_handling");
  read(interruption, "enabled", t.interruptionsEnabled);
  read(interruption, "mode", t.interruptionMode);
  read(interruption, "min_duration_ms", t.minInterruptionDurationMs);
  read(interruption, "min_words", t.minInterruptionWords);
  read(interruption, "resume_false_interruption", t.resumeFalseInterruption);
  read(interruption, "false_interruption_timeout_ms", t.falseInterruptionTimeoutMs);
  if (const auto* e = doc.if_contains("eagerness")) {
    if (e->is_string()) {
      t.eagerness = std::string(e->get_string());
    } else {
      // A number: thirds of 0..1.
      const double x = e->to_number<double>();
      t.eagerness = x < 1.0 / 3 ? "low" : x < 2.0 / 3 ? "normal" : "high";
    }
  }
}

void readTimeouts(const json::object& doc, Timeouts& t) {
  const auto* limits = objectAt(doc, "limits");
  read(limits, "max_duration_seconds", t.maxConversationMs, 1000);
  read(limits, "silence_timeout_seconds", t.endAfterSilenceMs, 1000);
  read(&doc, "max_conversation_duration_seconds", t.maxConversationMs, 1000);
  read(&doc, "end_after_silence_seconds", t.endAfterSilenceMs, 1000);
  read(&doc, "turn_after_silence_seconds", t.turnAfterSilenceMs, 1000);
  read(&doc, "soft_timeout_seconds", t.softTimeoutMs, 1000);
  read(&doc, "llm_cascade_timeout_seconds", t.llmCascadeTimeoutMs, 1000);
}

std::vector<std::string> keywordsOf(const json::object& doc) {
  const auto* v = doc.if_contains("keywords");
  if (!v || !v->is_string()) return strings(&doc, "keywords");
  // The seed's form: comma-separated.
  std::vector<std::string> out;
  const std::string_view all = v->get_string();
  size_t start = 0;
  while (start <= all.size()) {
    auto comma = all.find(',', start);
    if (comma == std::string_view::npos) comma = all.size();
    auto word = all.substr(start, comma - start);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (!word.empty()) out.emplace_back(word);
    start = comma + 1;
  }
  return out;
}

Dialog dialogOf(const json::object& doc) {
  Dialog d;
  const auto* dialog = objectAt(doc, "dialog");
  read(dialog, "fallback_reply", d.fallbackReply);
  read(dialog, "max_fallbacks", d.maxFallbacks);
  read(dialog, "after_max_fallbacks", d.afterMaxFallbacks);
  const auto* intents = dialog ? dialog->if_contains("intents") : nullptr;
  if (!intents) return d;
  for (const auto& v : intents->as_array()) {
    const auto& obj = v.as_object();
    DialogIntent intent;
    read(&obj, "name", intent.name);
    intent.keywords = strings(&obj, "keywords");
    intent.examples = strings(&obj, "examples");
    read(&obj, "reply", intent.reply);
    read(&obj, "action", intent.action);
    read(&obj, "transfer_to", intent.transferTo);
    if (const auto* slots = obj.if_contains("slots")) {
      for (const auto& s : slots->as_array()) {
        DialogSlot slot;
        read(&s.as_object(), "name", slot.name);
        read(&s.as_object(), "type", slot.type);
        intent.slots.push_back(std::move(slot));
      }
    }
    if (const auto* set = objectAt(obj, "set_results")) intent.setResults = *set;
    d.intents.push_back(std::move(intent));
  }
  return d;
}

void readTools(const json::object& doc, SystemTools& t) {
  const auto* tools = objectAt(doc, "system_tools");
  read(tools, "end_conversation", t.endConversation);
  read(tools, "skip_turn", t.skipTurn);
  read(tools, "transfer_to_agent", t.transferToAgent);
  read(tools, "transfer_to_number", t.transferToNumber);
  read(tools, "detect_language", t.detectLanguage);
  read(tools, "play_keypad_tone", t.playKeypadTone);
  read(tools, "voicemail_detection", t.voicemailDetection);
}

AgentSettings build(const json::object& doc) {
  AgentSettings s;
  read(&doc, "id", s.id);
  read(&doc, "name", s.name);
  read(&doc, "language", s.language);
  read(&doc, "system_prompt", s.systemPrompt);
  read(objectAt(doc, "llm"), "system_prompt", s.systemPrompt);
  if (const auto* first = doc.if_contains("first_message")) {
    if (first->is_string()) {
      s.firstMessage.inbound = s.firstMessage.outbound = std::string(first->get_string());
    } else {
      read(&first->get_object(), "inbound", s.firstMessage.inbound);
      read(&first->get_object(), "outbound", s.firstMessage.outbound);
    }
  }
  s.stt = provider(doc, "stt", s.language);
  s.llm = provider(doc, "llm", s.language);
  s.tts = provider(doc, "tts", s.language);
  if (const auto* llm = objectAt(doc, "llm")) {
    if (const auto* t = llm->if_contains("temperature")) s.llmTemperature = t->to_number<double>();
    if (const auto* m = llm->if_contains("max_tokens")) s.llmMaxTokens = m->to_number<int64_t>();
    // The shorthand for the provider's config.base_url (the validator refuses both differing).
    if (const auto* url = llm->if_contains("base_url"); url && !s.llm.config.contains("base_url")) {
      s.llm.config["base_url"] = *url;
    }
  }
  const auto* voice = objectAt(doc, "voice");
  read(voice, "speed", s.voiceSpeed);
  read(voice, "output_format", s.voiceOutputFormat);
  if (voice && voice->contains("stability")) {
    s.voiceStability = 0;
    read(voice, "stability", *s.voiceStability);
  }
  if (voice && voice->contains("similarity")) {
    s.voiceSimilarity = 0;
    read(voice, "similarity", *s.voiceSimilarity);
  }
  if (const auto* languages = doc.if_contains("languages")) {
    for (const auto& l : languages->as_array()) {
      std::string voice = s.tts.voice;
      read(&l.as_object(), "voice", voice);
      s.voiceByLanguage[std::string(l.at("language").as_string())] = voice;
    }
  }
  readTurns(doc, s.turns);
  readTimeouts(doc, s.timeouts);
  const auto* uncertainty = objectAt(doc, "speech_uncertainty");
  read(uncertainty, "enabled", s.speechUncertainty.enabled);
  read(uncertainty, "low_confidence_threshold", s.speechUncertainty.lowConfidenceThreshold);
  read(uncertainty, "low_confidence_message", s.speechUncertainty.lowConfidenceMessage);
  s.keywords = keywordsOf(doc);
  if (const auto* results = doc.if_contains("results")) {
    for (const auto& r : results->as_array()) {
      ResultField field;
      read(&r.as_object(), "name", field.name);
      read(&r.as_object(), "type", field.type);
      read(&r.as_object(), "description", field.description);
      s.results.push_back(std::move(field));
    }
  }
  s.dialog = dialogOf(doc);
  readTools(doc, s.tools);
  read(objectAt(doc, "privacy"), "no_logging", s.noLogging);
  return s;
}

}  // namespace

SettingsResult settingsFromDocument(const json::value& document) {
  SettingsResult result;
  const auto errors = validateDocument(document);
  if (!errors.empty()) {
    const auto& e = errors.front();
    result.error =
        "invalid agent configuration: " + (e.field.empty() ? std::string("the document") : e.field) + " " + e.message;
    if (errors.size() > 1) result.error += " (and " + std::to_string(errors.size() - 1) + " more)";
    return result;
  }
  result.settings = build(document.as_object());
  return result;
}

}  // namespace convox::agent_config

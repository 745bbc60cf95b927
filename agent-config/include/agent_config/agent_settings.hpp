#pragma once

// The settings of an agent the worker acts on, with every default filled in,
// parsed from a validated agent document (the `agent` of a job's metadata).
// Durations are in milliseconds; -1 means "never" where the document allows
// it. Defaults follow LiveKit Agents (../shared/PROTOCOL-agent-frontend.md §2)
// unless the field says otherwise.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convox::agent_config {

struct ProviderChoice {
  std::string provider;  // "" when the document names none: the worker's offline default
  std::string model;
  std::string voice;                      // tts only
  std::string language;                   // BCP 47; falls back to the agent's `language`
  boost::json::object config;             // `config` merged over `provider_config` (provider-specific, passed through)
  std::vector<ProviderChoice> fallbacks;  // `fallback`: tried in order when this one fails (not nested)
};

struct FirstMessage {
  std::string inbound;   // the user called; "" = the agent waits for the user
  std::string outbound;  // the agent called
};

struct TurnTaking {
  bool vadEnabled = true;
  double vadThreshold = 0.5;            // activation threshold (Silero's default)
  int64_t vadMinSilenceMs = 550;        // silence that ends speech (Silero 0.55 s)
  int64_t vadMinSpeechMs = 50;          // speech shorter than this is ignored (Silero 0.05 s)
  int64_t minEndpointingDelayMs = 500;  // wait after the end of speech before answering
  int64_t maxEndpointingDelayMs = 3000;
  bool interruptionsEnabled = true;
  std::string interruptionMode = "restart";  // restart | resume
  int64_t minInterruptionDurationMs = 500;
  int64_t minInterruptionWords = 0;
  bool resumeFalseInterruption = true;
  int64_t falseInterruptionTimeoutMs = 2000;
  std::string eagerness = "normal";  // low | normal | high (a number in the document maps to these)
};

struct Timeouts {
  int64_t turnAfterSilenceMs = -1;     // "are you still there" after this; -1 = wait indefinitely
  int64_t endAfterSilenceMs = -1;      // end the call after this much silence; -1 = never
  int64_t maxConversationMs = 600000;  // 10 minutes unless the agent says otherwise
  int64_t softTimeoutMs = -1;          // filler message while the LLM is slow; -1 = off
  int64_t llmCascadeTimeoutMs = 8000;  // next LLM in the cascade after this
};

struct SpeechUncertainty {
  bool enabled = false;
  double lowConfidenceThreshold = 0.4;
  std::string lowConfidenceMessage = "Sorry, I didn't catch that. Could you say it again?";
};

struct ResultField {
  std::string name;
  std::string type;  // string | number | boolean
  std::string description;
};

struct DialogSlot {
  std::string name;
  std::string type;  // number | digits | yes_no | text
};

struct DialogIntent {
  std::string name;
  std::vector<std::string> keywords;  // any one of them in the user's words selects the intent
  std::vector<std::string> examples;  // whole phrases (also the STT grammar)
  std::string reply;                  // may hold {{parameter}} and {{slot}} placeholders
  std::string action = "none";        // none | end_call | transfer | collect
  std::string transferTo;             // action transfer: a number or agent; "" = a human agent
  std::vector<DialogSlot> slots;
  boost::json::object setResults;  // result field -> value when the intent matches
};

struct Dialog {
  std::vector<DialogIntent> intents;
  std::string fallbackReply = "Sorry, I can't help with that. Could you put it another way?";
  int64_t maxFallbacks = 3;                    // consecutive fallbacks before the call is handed off or ended
  std::string afterMaxFallbacks = "end_call";  // end_call | transfer
};

struct SystemTools {
  bool endConversation = true;
  bool skipTurn = false;
  bool transferToAgent = false;
  bool transferToNumber = false;
  bool detectLanguage = false;
  bool playKeypadTone = false;
  bool voicemailDetection = false;
};

struct AgentSettings {
  std::string id;
  std::string name;
  std::string language = "en-US";  // the agent's default language
  std::string systemPrompt;        // may hold {{parameter}} placeholders
  FirstMessage firstMessage;
  ProviderChoice stt;
  ProviderChoice llm;
  std::optional<double> llmTemperature;
  std::optional<int64_t> llmMaxTokens;
  ProviderChoice tts;
  double voiceSpeed = 1.0;
  // The seed's voice settings, mapped per TTS provider (unset = the provider's default).
  std::optional<double> voiceStability;
  std::optional<double> voiceSimilarity;
  std::string voiceOutputFormat;                       // pcm_24000, ulaw_8000, ... ("" = the provider client chooses)
  std::map<std::string, std::string> voiceByLanguage;  // `languages`: language -> voice
  TurnTaking turns;
  Timeouts timeouts;
  SpeechUncertainty speechUncertainty;
  std::vector<std::string> keywords;  // STT boosting / grammar words
  std::vector<ResultField> results;
  Dialog dialog;
  SystemTools tools;
  bool noLogging = false;  // privacy.no_logging: no transcript text is stored
};

struct SettingsResult {
  std::optional<AgentSettings> settings;
  std::string error;  // why the document cannot be used (it failed validation), when no settings
};

// Validates `document` (without the server's network policy) and builds its
// settings. A job with a bad document gets the reason to decline with.
SettingsResult settingsFromDocument(const boost::json::value& document);

}  // namespace convox::agent_config

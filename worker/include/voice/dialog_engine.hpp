#pragma once

// The offline stand-in for an LLM: the agent's `dialog` rules (intents chosen
// by keywords and example phrases, slots captured from the user's words,
// templated replies, actions). Deterministic, no network, no model files: a
// demo agent works on a bare machine, and a test knows what it will say.

#include "voice/language_model.hpp"

#include "agent_config/agent_settings.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice {

// What the engine decided for one user turn (reply() streams it).
struct DialogDecision {
  std::string intent;  // "" = no intent matched (the fallback reply)
  double score = 0;    // the winning intent's score; 0 for a fallback
  std::string text;    // the reply, placeholders rendered
  std::map<std::string, std::string> slots;
  std::vector<ModelAction> actions;
};

class DialogEngine : public LanguageModel {
 public:
  // Runs a task later on the caller's thread (e.g. asio::post on the media
  // thread's io_context). Without one, reply() answers before it returns.
  using Post = std::function<void(std::function<void()>)>;

  // `parameters`: the call's parameters for {{placeholders}}.
  DialogEngine(agent_config::AgentSettings settings, std::map<std::string, std::string> parameters, Post post = {});
  ~DialogEngine() override;
  DialogEngine(const DialogEngine&) = delete;
  DialogEngine& operator=(const DialogEngine&) = delete;

  void reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) override;
  void cancel() override;

  // Chooses the answer to `userText` and advances the fallback count (what
  // reply() does before streaming).
  DialogDecision decide(std::string_view userText);

 private:
  struct Pending;
  static void schedule(const std::shared_ptr<Pending>& pending, const Post& post);

  // Passed by argument.
  agent_config::AgentSettings settings_;
  std::map<std::string, std::string> parameters_;
  Post post_;
  // Others.
  int64_t consecutiveFallbacks_ = 0;
  std::shared_ptr<Pending> pending_;  // the reply being streamed through post_
};

// Every phrase the agent's speech-recognition grammar should hold: the
// dialog's examples and keywords, the agent's keywords, and the small words
// every call needs (yes, no, goodbye, thank you, ...). For
// PocketSphinxSettings::phrases.
std::vector<std::string> dialogGrammarPhrases(const agent_config::AgentSettings& settings);

// The grammar the agent is heard with. The dialog engine's agents (no
// llm.provider, or "convox-dialog") get dialogGrammarPhrases(); an agent on
// another model talks about anything, so it gets only its own `keywords`
// (none: the general language model alone). The small words are left out
// there: measured, a grammar of them forced "what are your opening hours"
// into "wait" with full confidence, so the language model never saw it.
std::vector<std::string> recognizerPhrases(const agent_config::AgentSettings& settings);

// The pieces reply() streams `text` in: groups of a few words whose
// concatenation is `text`.
std::vector<std::string> splitIntoDeltas(std::string_view text, size_t wordsPerDelta = 4);

}  // namespace convox::voice

#include "voice/dialog_engine.hpp"

#include "voice/dialog_matcher.hpp"
#include "voice/jsgf_grammar.hpp"

#include "agent_config/placeholders.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <set>

namespace convox::voice {

namespace {

constexpr const char* kProvider = "convox-dialog";
constexpr const char* kModel = "rules";

// Said instead of the fallback reply when the fallbacks run out.
constexpr const char* kHandOffEnd = "Sorry, I can't help you with this today. Goodbye.";
constexpr const char* kHandOffTransfer = "Let me put you through to someone who can help.";

std::optional<int64_t> toInteger(const std::string& s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A value of set_results: "{{slot}}" alone keeps the slot's type (a number
// slot gives a number, yes_no a boolean) and is left out (nullopt) when the
// slot was not captured; other strings are rendered.
std::optional<boost::json::value> resultValue(const boost::json::value& v, const agent_config::DialogIntent& intent,
                                              const std::map<std::string, std::string>& slots,
                                              const std::map<std::string, std::string>& values) {
  if (!v.is_string()) return v;
  const std::string_view s = v.get_string();
  for (const auto& slot : intent.slots) {
    if (s != "{{" + slot.name + "}}") continue;
    const auto it = slots.find(slot.name);
    if (it == slots.end()) return std::nullopt;
    if (slot.type == "yes_no") return it->second == "yes";
    if (slot.type == "number") {
      if (auto n = toInteger(it->second)) return *n;
    }
    return boost::json::value(it->second);
  }
  return boost::json::value(agent_config::renderPlaceholders(s, values));
}

size_t wordCount(std::string_view text) { return normaliseWords(text).size(); }

}  // namespace

struct DialogEngine::Pending {
  bool cancelled = false;
  ReplyCallbacks callbacks;
  std::vector<std::string> deltas;
  std::vector<ModelAction> actions;
  ModelUsage usage;
  std::string error;
  size_t next = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  // Delivers one delta, or the end; false when nothing is left to do.
  bool step() {
    if (cancelled) return false;
    if (next < deltas.size()) {
      if (usage.firstTokenMs < 0) usage.firstTokenMs = elapsedMs();
      if (callbacks.onText) callbacks.onText(deltas[next]);
      ++next;
      return true;
    }
    for (const auto& action : actions) {
      if (cancelled) return false;
      if (callbacks.onAction) callbacks.onAction(action);
    }
    if (cancelled) return false;
    cancelled = true;  // done: nothing follows
    usage.totalMs = elapsedMs();
    if (callbacks.onDone) callbacks.onDone(usage, error);
    return false;
  }

  int64_t elapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  }
};

void DialogEngine::schedule(const std::shared_ptr<Pending>& pending, const Post& post) {
  post([pending, post] {
    if (pending->step()) schedule(pending, post);
  });
}

DialogEngine::DialogEngine(agent_config::AgentSettings settings, std::map<std::string, std::string> parameters,
                           Post post)
    : settings_(std::move(settings)), parameters_(std::move(parameters)), post_(std::move(post)) {}

DialogEngine::~DialogEngine() { cancel(); }

void DialogEngine::cancel() {
  if (pending_) pending_->cancelled = true;
  pending_.reset();
}

DialogDecision DialogEngine::decide(std::string_view userText) {
  const auto& dialog = settings_.dialog;
  const auto words = normaliseWords(userText);
  DialogDecision d;
  const auto match = dialog::bestIntent(dialog.intents, words);
  if (!match) {
    ++consecutiveFallbacks_;
    if (consecutiveFallbacks_ < dialog.maxFallbacks) {
      d.text = agent_config::renderPlaceholders(dialog.fallbackReply, parameters_);
      return d;
    }
    consecutiveFallbacks_ = 0;
    const bool transfer = dialog.afterMaxFallbacks == "transfer";
    d.text = transfer ? kHandOffTransfer : kHandOffEnd;
    boost::json::object args{{"reason", "max_fallbacks"}};
    if (transfer) args["target"] = "";
    d.actions.push_back({transfer ? "transfer" : "end_call", std::move(args)});
    return d;
  }
  consecutiveFallbacks_ = 0;
  const auto& intent = dialog.intents[match->index];
  d.intent = intent.name;
  d.score = match->score;
  for (const auto& slot : intent.slots) {
    if (auto value = dialog::captureSlot(slot, words, match->afterKeyword)) d.slots[slot.name] = *value;
  }
  auto values = parameters_;
  for (const auto& [name, value] : d.slots) values[name] = value;  // this turn's words win
  d.text = agent_config::renderPlaceholders(intent.reply, values);

  boost::json::object fields;
  for (const auto& [name, value] : intent.setResults) {
    if (auto v = resultValue(value, intent, d.slots, values)) fields[name] = std::move(*v);
  }
  if (intent.action == "collect") {
    for (const auto& [name, value] : d.slots) {
      if (fields.contains(name)) continue;
      if (auto v = resultValue(boost::json::value("{{" + name + "}}"), intent, d.slots, values)) fields[name] = *v;
    }
  }
  if (!fields.empty()) d.actions.push_back({"set_results", std::move(fields)});
  if (intent.action == "transfer") {
    d.actions.push_back({"transfer", {{"target", intent.transferTo}, {"intent", intent.name}}});
  } else if (intent.action == "end_call") {
    d.actions.push_back({"end_call", {{"intent", intent.name}}});
  }
  return d;
}

void DialogEngine::reply(const std::vector<ChatMessage>& history, ReplyCallbacks callbacks) {
  cancel();  // a new turn replaces one still streaming
  auto pending = std::make_shared<Pending>();
  pending->callbacks = std::move(callbacks);
  pending->usage.provider = kProvider;
  pending->usage.model = kModel;
  const ChatMessage* user = nullptr;
  for (auto it = history.rbegin(); it != history.rend() && !user; ++it) {
    if (it->role == "user") user = &*it;
  }
  if (!user) {
    pending->error = "dialog: the history has no user message to answer";
  } else {
    auto decision = decide(user->content);
    pending->deltas = splitIntoDeltas(decision.text);
    pending->actions = std::move(decision.actions);
    pending->usage.inputTokens = static_cast<int64_t>(wordCount(user->content));
    pending->usage.outputTokens = static_cast<int64_t>(wordCount(decision.text));
  }
  pending_ = pending;
  if (!post_) {
    while (pending->step()) {
    }
  } else {
    // One posted task per delta: the caller's thread gets to run between them
    // (and a barge-in's cancel() lands between two deltas).
    schedule(pending, post_);
  }
  if (pending_ == pending && pending->cancelled) pending_.reset();
}

std::vector<std::string> splitIntoDeltas(std::string_view text, size_t wordsPerDelta) {
  std::vector<std::string> deltas;
  if (wordsPerDelta == 0) wordsPerDelta = 1;
  size_t start = 0;
  size_t words = 0;
  bool inWord = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool space = text[i] == ' ' || text[i] == '\n' || text[i] == '\t';
    if (!space && !inWord) {
      if (words == wordsPerDelta) {  // this word starts the next delta
        deltas.emplace_back(text.substr(start, i - start));
        start = i;
        words = 0;
      }
      ++words;
    }
    inWord = !space;
  }
  if (start < text.size()) deltas.emplace_back(text.substr(start));
  return deltas;
}

std::vector<std::string> dialogGrammarPhrases(const agent_config::AgentSettings& settings) {
  static const std::vector<std::string> kCommon{
      "yes",          "no",    "yeah",  "okay",       "sure",         "thank you",  "thanks",
      "goodbye",      "bye",   "hello", "hi",         "please",       "sorry",      "repeat",
      "stop",         "wait",  "help",  "that's all", "no thank you", "yes please", "can you repeat that",
      "i don't know", "one",   "two",   "three",      "four",         "five",       "six",
      "seven",        "eight", "nine",  "ten",        "zero"};
  std::vector<std::string> phrases;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    if (!p.empty() && seen.insert(p).second) phrases.push_back(p);
  };
  for (const auto& intent : settings.dialog.intents) {
    for (const auto& e : intent.examples) add(e);
    for (const auto& k : intent.keywords) add(k);
  }
  for (const auto& k : settings.keywords) add(k);
  for (const auto& c : kCommon) add(c);
  return phrases;
}

std::vector<std::string> recognizerPhrases(const agent_config::AgentSettings& settings) {
  if (settings.llm.provider.empty() || settings.llm.provider == "convox-dialog") return dialogGrammarPhrases(settings);
  std::vector<std::string> phrases;
  std::set<std::string> seen;
  for (const auto& k : settings.keywords) {
    if (!k.empty() && seen.insert(k).second) phrases.push_back(k);
  }
  return phrases;
}

}  // namespace convox::voice

#include "voice/dialog_matcher.hpp"

#include "voice/jsgf_grammar.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

namespace convox::voice::dialog {

namespace {

// Words that say nothing about what the user wants: an example's score
// counts only its other words, so "I would like to book" is about "book".
bool isStopWord(std::string_view w) {
  static const std::set<std::string_view> kWords{
      "a",      "an",   "the",  "i",     "i'd",  "i'm",  "me",  "my",    "you",   "your", "we",   "our",
      "to",     "of",   "for",  "in",    "on",   "at",   "and", "or",    "is",    "are",  "am",   "be",
      "it",     "this", "that", "there", "do",   "does", "can", "could", "would", "will", "like", "want",
      "please", "some", "just", "with",  "what", "so",   "um",  "uh",    "well",  "oh",   "okay", "ok"};
  return kWords.contains(w);
}

std::optional<size_t> findRun(const std::vector<std::string>& words, const std::vector<std::string>& run) {
  if (run.empty() || run.size() > words.size()) return std::nullopt;
  std::optional<size_t> last;
  for (size_t i = 0; i + run.size() <= words.size(); ++i) {
    if (std::equal(run.begin(), run.end(), words.begin() + static_cast<std::ptrdiff_t>(i))) last = i;
  }
  return last;
}

double exampleScore(const std::string& example, const std::vector<std::string>& words,
                    const std::set<std::string>& present) {
  const auto ex = normaliseWords(example);
  if (ex.empty()) return 0;
  if (ex == words) return 2;
  size_t content = 0;
  size_t found = 0;
  for (const auto& w : ex) {
    if (isStopWord(w)) continue;
    ++content;
    if (present.contains(w)) ++found;
  }
  if (content == 0) return 0;
  const double share = static_cast<double>(found) / static_cast<double>(content);
  return share >= 0.5 ? share : 0;
}

// zero..nineteen, then the tens.
std::optional<int> smallNumber(std::string_view w) {
  static constexpr std::array<std::string_view, 20> kUnits{
      "zero", "one",    "two",    "three",    "four",     "five",    "six",     "seven",     "eight",    "nine",
      "ten",  "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  static constexpr std::array<std::string_view, 8> kTens{"twenty", "thirty",  "forty",  "fifty",
                                                         "sixty",  "seventy", "eighty", "ninety"};
  for (size_t i = 0; i < kUnits.size(); ++i) {
    if (w == kUnits[i]) return static_cast<int>(i);
  }
  for (size_t i = 0; i < kTens.size(); ++i) {
    if (w == kTens[i]) return static_cast<int>(20 + (10 * i));
  }
  return std::nullopt;
}

bool allDigits(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> captureNumber(const std::vector<std::string>& words) {
  for (size_t i = 0; i < words.size(); ++i) {
    if (allDigits(words[i])) return words[i];
    auto n = smallNumber(words[i]);
    if (!n) continue;
    long long value = *n;
    // "twenty one", "three hundred", "two hundred and five".
    for (size_t j = i + 1; j < words.size(); ++j) {
      if (words[j] == "hundred" && value > 0 && value < 100) {
        value *= 100;
      } else if (words[j] == "and" && value >= 100) {
        continue;
      } else if (auto m = smallNumber(words[j]); m && *m < 10 && value % 10 == 0 && value >= 20) {
        value += *m;
      } else if (auto u = smallNumber(words[j]); u && value >= 100 && value % 100 == 0) {
        value += *u;
      } else {
        break;
      }
    }
    return std::to_string(value);
  }
  return std::nullopt;
}

std::optional<std::string> captureDigits(const std::vector<std::string>& words) {
  std::string digits;
  for (const auto& w : words) {
    std::optional<int> d;
    if (allDigits(w)) {
      digits += w;
      continue;
    }
    if (w == "oh") d = 0;
    if (auto n = smallNumber(w); n && *n < 10) d = n;
    if (d) {
      digits += static_cast<char>('0' + *d);
    } else if (!digits.empty()) {
      break;  // the first run of digits
    }
  }
  if (digits.empty()) return std::nullopt;
  return digits;
}

std::optional<std::string> captureYesNo(const std::vector<std::string>& words) {
  static const std::set<std::string_view> kYes{"yes",   "yeah",       "yep",        "sure", "correct",
                                               "right", "absolutely", "definitely", "okay", "ok"};
  static const std::set<std::string_view> kNo{"no", "nope", "not", "never", "don't", "nah"};
  for (const auto& w : words) {
    if (kNo.contains(w)) return "no";
    if (kYes.contains(w)) return "yes";
  }
  return std::nullopt;
}

std::optional<std::string> captureText(const std::vector<std::string>& words, size_t afterKeyword) {
  static const std::set<std::string_view> kLead{"for", "at", "on", "to", "is", "the", "a", "an", "about", "please"};
  size_t begin = std::min(afterKeyword, words.size());
  while (begin < words.size() && kLead.contains(words[begin])) ++begin;
  size_t end = words.size();
  while (end > begin && words[end - 1] == "please") --end;
  if (begin == end) return std::nullopt;  // nothing after the keyword
  std::string text;
  for (size_t i = begin; i < end; ++i) {
    if (!text.empty()) text += ' ';
    text += words[i];
  }
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace

double intentScore(const agent_config::DialogIntent& intent, const std::vector<std::string>& words,
                   size_t& afterKeyword) {
  afterKeyword = 0;
  double score = 0;
  for (const auto& keyword : intent.keywords) {
    const auto run = normaliseWords(keyword);
    if (auto at = findRun(words, run)) {
      score += 1.0 + (0.25 * static_cast<double>(run.size() - 1));
      afterKeyword = std::max(afterKeyword, *at + run.size());
    }
  }
  const std::set<std::string> present(words.begin(), words.end());
  double best = 0;
  for (const auto& example : intent.examples) best = std::max(best, exampleScore(example, words, present));
  return score + best;
}

std::optional<IntentMatch> bestIntent(const std::vector<agent_config::DialogIntent>& intents,
                                      const std::vector<std::string>& words) {
  std::optional<IntentMatch> best;
  for (size_t i = 0; i < intents.size(); ++i) {
    size_t after = 0;
    const double score = intentScore(intents[i], words, after);
    if (score >= kMinIntentScore && (!best || score > best->score)) best = IntentMatch{i, score, after};
  }
  return best;
}

std::optional<std::string> captureSlot(const agent_config::DialogSlot& slot, const std::vector<std::string>& words,
                                       size_t afterKeyword) {
  if (slot.type == "number") return captureNumber(words);
  if (slot.type == "digits") return captureDigits(words);
  if (slot.type == "yes_no") return captureYesNo(words);
  return captureText(words, afterKeyword);
}

}  // namespace convox::voice::dialog

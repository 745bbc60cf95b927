// The built-in list prices and the cost arithmetic. Prices are integers
// (nano-USD per a whole number of units) and a record's cost is rounded once,
// so summing records gives the same total on both stores and matches a
// provider's invoice to the rounding of each line.
#include "price_table.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace convox::control_api {
namespace {

constexpr std::string_view kHail = "github.com/hail-hq/hail costs/stt.json (from deepgram.com/pricing, 2026-05-05)";
constexpr std::string_view kOpenAiLlm = "aumiqx.com OpenAI API pricing 2026 (April 2026), platform.openai.com/pricing";
constexpr std::string_view kWhisper = "theneuralbase.com whisper-api $0.006 per minute, platform.openai.com/pricing";
constexpr std::string_view kTranscribe = "tokenmix.ai gpt-4o-transcribe guide (2026-04-25)";
constexpr std::string_view kTts1 = "community.openai.com precise pricing for tts api ($0.015 / 1k characters)";
constexpr std::string_view kClaudeHaiku35 = "reference.langchain.com bedrock_anthropic_callback cost tables";
constexpr std::string_view kClaude = "docs.rs synaps pricing (from platform.claude.com/docs/en/about-claude/pricing)";
constexpr std::string_view kSonnet = "docs.rs cogito-claude (as of 2025-11-25)";
constexpr std::string_view kGemini25 = "llm-prices.com via filterhn.com/post/44457371 (Gemini 2.5 Flash GA prices)";
constexpr std::string_view kGemini20 = "gist.github.com/pwkad (Gemini 2.0 Flash)";
constexpr std::string_view kGroq = "groq.com/pricing as remembered; not confirmed by a search result: check";
constexpr std::string_view kEleven = "developer.puter.com ElevenLabs API pricing (Jun 2026); Business tier $0.06/$0.12";
constexpr std::string_view kSarvam =
    "sarvam.ai/api-pricing INR 30/hour STT, INR 15/10k chars TTS, at INR 85 = USD 1; "
    "not confirmed by a search result: check";

// nano-USD: $1 = 1,000,000,000.
constexpr std::array<DefaultPrice, 33> kDefaults{{
    {"deepgram", "nova-3", "audio_seconds", 4'800'000, "minute", kHail},
    {"deepgram", "nova-3-multilingual", "audio_seconds", 5'800'000, "minute", kHail},
    {"openai", "gpt-4o-mini", "input_tokens", 150'000, "1k", kOpenAiLlm},
    {"openai", "gpt-4o-mini", "output_tokens", 600'000, "1k", kOpenAiLlm},
    {"openai", "gpt-4.1-mini", "input_tokens", 400'000, "1k", kOpenAiLlm},
    {"openai", "gpt-4.1-mini", "output_tokens", 1'600'000, "1k", kOpenAiLlm},
    {"openai", "whisper-1", "audio_seconds", 6'000'000, "minute", kWhisper},
    {"openai", "gpt-4o-mini-transcribe", "audio_seconds", 3'000'000, "minute", kTranscribe},
    {"openai", "gpt-4o-transcribe", "audio_seconds", 6'000'000, "minute", kTranscribe},
    {"openai", "tts-1", "characters", 15'000'000, "1k", kTts1},
    {"anthropic", "claude-3-5-haiku-latest", "input_tokens", 800'000, "1k", kClaudeHaiku35},
    {"anthropic", "claude-3-5-haiku-latest", "output_tokens", 4'000'000, "1k", kClaudeHaiku35},
    {"anthropic", "claude-haiku-4-5", "input_tokens", 1'000'000, "1k", kClaude},
    {"anthropic", "claude-haiku-4-5", "output_tokens", 5'000'000, "1k", kClaude},
    {"anthropic", "claude-sonnet-4-5", "input_tokens", 3'000'000, "1k", kSonnet},
    {"anthropic", "claude-sonnet-4-5", "output_tokens", 15'000'000, "1k", kSonnet},
    {"anthropic", "claude-sonnet-4-0", "input_tokens", 3'000'000, "1k", kClaude},
    {"anthropic", "claude-sonnet-4-0", "output_tokens", 15'000'000, "1k", kClaude},
    {"gemini", "gemini-2.5-flash", "input_tokens", 300'000, "1k", kGemini25},
    {"gemini", "gemini-2.5-flash", "output_tokens", 2'500'000, "1k", kGemini25},
    {"gemini", "gemini-2.0-flash", "input_tokens", 100'000, "1k", kGemini20},
    {"gemini", "gemini-2.0-flash", "output_tokens", 400'000, "1k", kGemini20},
    {"groq", "llama-3.3-70b-versatile", "input_tokens", 590'000, "1k", kGroq},
    {"groq", "llama-3.3-70b-versatile", "output_tokens", 790'000, "1k", kGroq},
    {"groq", "llama-3.1-8b-instant", "input_tokens", 50'000, "1k", kGroq},
    {"groq", "llama-3.1-8b-instant", "output_tokens", 80'000, "1k", kGroq},
    {"elevenlabs", "eleven_flash_v2_5", "characters", 50'000'000, "1k", kEleven},
    {"elevenlabs", "eleven_flash_v2", "characters", 50'000'000, "1k", kEleven},
    {"elevenlabs", "eleven_turbo_v2_5", "characters", 50'000'000, "1k", kEleven},
    {"elevenlabs", "eleven_turbo_v2", "characters", 50'000'000, "1k", kEleven},
    {"elevenlabs", "eleven_multilingual_v2", "characters", 100'000'000, "1k", kEleven},
    {"sarvam", "*", "audio_seconds", 352'941'176, "hour", kSarvam},
    {"sarvam", "*", "characters", 17'647'059, "1k", kSarvam},
}};

// Engines that run on the operator's own machines: no provider bill.
constexpr std::array<std::string_view, 12> kLocalProviders{"pocketsphinx", "espeak-ng",   "espeak",     "convox-dialog",
                                                           "ollama",       "whisper-cpp", "whispercpp", "kokoro",
                                                           "piper",        "vllm",        "llama-cpp",  "speaches"};

struct PerOption {
  std::string_view unit;
  std::string_view per;
  int64_t units;
};
// The first option of each unit is how its defaults are shown.
constexpr std::array<PerOption, 18> kPers{{
    {"audio_seconds", "minute", 60},
    {"audio_seconds", "second", 1},
    {"audio_seconds", "hour", 3600},
    {"minutes", "minute", 1},
    {"minutes", "hour", 60},
    {"input_tokens", "1k", 1000},
    {"input_tokens", "1m", 1'000'000},
    {"input_tokens", "1", 1},
    {"output_tokens", "1k", 1000},
    {"output_tokens", "1m", 1'000'000},
    {"output_tokens", "1", 1},
    {"characters", "1k", 1000},
    {"characters", "1m", 1'000'000},
    {"characters", "1", 1},
    {"requests", "request", 1},
    {"requests", "1k", 1000},
    {"requests", "1m", 1'000'000},
    {"requests", "1", 1},
}};

Price toPrice(const DefaultPrice& d) {
  return {std::string(d.provider), std::string(d.model), std::string(d.unit), d.priceNanoUsd,
          perUnitsFor(d.unit, d.per).value_or(1)};
}

}  // namespace

std::span<const DefaultPrice> defaultPrices() { return kDefaults; }

std::optional<int64_t> perUnitsFor(std::string_view unit, std::string_view per) {
  for (const auto& p : kPers) {
    if (p.unit == unit && p.per == per) return p.units;
  }
  return std::nullopt;
}

std::string perName(std::string_view unit, int64_t perUnits) {
  for (const auto& p : kPers) {
    if (p.unit == unit && p.units == perUnits) return std::string(p.per);
  }
  return std::to_string(perUnits);
}

std::string allowedPers(std::string_view unit) {
  std::string out;
  for (const auto& p : kPers) {
    if (p.unit == unit) out += (out.empty() ? "" : ", ") + std::string(p.per);
  }
  return out;
}

std::string canonicalPer(std::string_view unit) {
  for (const auto& p : kPers) {
    if (p.unit == unit) return std::string(p.per);
  }
  return {};
}

bool isPricedUnit(std::string_view unit) {
  return std::any_of(kPers.begin(), kPers.end(), [&](const PerOption& p) { return p.unit == unit; });
}

std::vector<std::string> priceNamesOf(std::string_view model) {
  std::vector<std::string> names{std::string(model)};
  const auto digits = [&](size_t from, size_t count) {
    return std::all_of(model.begin() + static_cast<std::ptrdiff_t>(from),
                       model.begin() + static_cast<std::ptrdiff_t>(from + count),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  // "-2024-07-18" (OpenAI) or "-20251001" (Anthropic) at the end.
  size_t cut = std::string_view::npos;
  if (model.size() > 11 && model[model.size() - 11] == '-' && model[model.size() - 6] == '-' &&
      model[model.size() - 3] == '-' && digits(model.size() - 10, 4) && digits(model.size() - 5, 2) &&
      digits(model.size() - 2, 2)) {
    cut = model.size() - 11;
  } else if (model.size() > 9 && model[model.size() - 9] == '-' && digits(model.size() - 8, 8)) {
    cut = model.size() - 9;
  }
  if (cut == std::string_view::npos) return names;
  const std::string base(model.substr(0, cut));
  names.push_back(base);
  names.push_back(base + "-latest");  // Anthropic's alias for a snapshot
  return names;
}

std::optional<Price> defaultPrice(std::string_view provider, std::string_view model, std::string_view unit) {
  const DefaultPrice* any = nullptr;
  for (const auto& name : priceNamesOf(model)) {
    for (const auto& d : kDefaults) {
      if (d.provider != provider || d.unit != unit) continue;
      if (d.model == name) return toPrice(d);
      if (d.model == "*") any = &d;
    }
  }
  if (any) return toPrice(*any);
  if (std::find(kLocalProviders.begin(), kLocalProviders.end(), provider) != kLocalProviders.end() &&
      isPricedUnit(unit)) {
    for (const auto& p : kPers) {
      if (p.unit == unit) return Price{std::string(provider), "*", std::string(unit), 0, p.units};
    }
  }
  return std::nullopt;
}

std::span<const std::string_view> localProviders() { return kLocalProviders; }

std::optional<Price> effectivePrice(Repository& repository, const std::string& teamId, const std::string& provider,
                                    const std::string& model, const std::string& unit) {
  std::optional<Price> teamAny;
  for (const auto& name : priceNamesOf(model)) {
    const auto team = repository.findTeamPrices(teamId, provider, name, unit);
    if (!team.empty() && team.front().model == name) return team.front();  // the named model sorts first
    if (!team.empty()) teamAny = team.front();
  }
  if (teamAny) return teamAny;
  return defaultPrice(provider, model, unit);
}

int64_t costMicroUsd(int64_t quantityMicros, const Price& price) {
  // micro-units x nano-USD / (units per price x 1e6 micro-units x 1e3 nano
  // per micro-USD); 128 bits hold the product of the largest of both.
  __extension__ typedef __int128 Wide;  // GCC and Clang; ISO C++ has no 128-bit integer
  const Wide numerator = static_cast<Wide>(quantityMicros) * price.priceNanoUsd;
  const Wide denominator = static_cast<Wide>(price.perUnits) * 1'000'000'000;
  if (denominator <= 0 || numerator <= 0) return 0;
  const Wide cost = (numerator + denominator / 2) / denominator;
  // Absurd quantities at absurd prices saturate rather than wrap negative.
  return cost > std::numeric_limits<int64_t>::max() ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(cost);
}

}  // namespace convox::control_api

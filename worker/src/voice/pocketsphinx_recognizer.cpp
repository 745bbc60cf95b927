#include "voice/pocketsphinx_recognizer.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/err.h>
#include <sphinxbase/jsgf.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string_view>

namespace convox::voice {
namespace {

constexpr const char* kGrammarSearch = "grammar";
constexpr const char* kLmSearch = "lm";
constexpr int kFramesPerSecond = 100;  // PocketSphinx's default -frate

// The posterior of a grammar path is ~1.0 even when the grammar forced a
// wrong phrase onto the audio (measured: "can I speak to a human agent
// please" against a grammar without it came out as "what are your opening
// hours" with posterior 1.000), so grammar confidence comes from the best
// path's score per frame instead. On the six generated prompts, in-grammar
// speech scored -18 to -30 per frame and the forced out-of-grammar case -41;
// this maps -50 -> 0, -35 -> 0.5, -20 -> 1.
double grammarConfidence(int32 score, int frames) {
  if (frames <= 0) return 0;
  const double perFrame = static_cast<double>(score) / frames;
  return std::clamp((perFrame + 50.0) / 30.0, 0.0, 1.0);
}

// What ps_set_jsgf_string does, without its leak: Debian's 0.8+5prealpha
// never frees the parsed grammar (LeakSanitizer: one jsgf_t per call).
bool setGrammar(ps_decoder_t* ps, const std::string& text) {
  jsgf_t* jsgf = jsgf_parse_string(text.c_str(), nullptr);
  if (jsgf == nullptr) return false;
  jsgf_rule_t* rule = jsgf_get_public_rule(jsgf);
  fsg_model_t* fsg = rule != nullptr
                         ? jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps), cmd_ln_float32_r(ps_get_config(ps), "-lw"))
                         : nullptr;
  // The search keeps its own reference to the FSG.
  const bool ok = fsg != nullptr && ps_set_fsg(ps, kGrammarSearch, fsg) == 0;
  if (fsg != nullptr) fsg_model_free(fsg);
  jsgf_grammar_free(jsgf);
  return ok;
}

}  // namespace

std::unique_ptr<PocketSphinxRecognizer> PocketSphinxRecognizer::create(const PocketSphinxSettings& settings,
                                                                       std::string& error) {
  namespace fs = std::filesystem;
  const std::string hmm = settings.modelDir + "/en-us";
  const std::string dict = settings.modelDir + "/cmudict-en-us.dict";
  const std::string lm = settings.modelDir + "/en-us.lm.bin";
  for (const auto& p : {hmm, dict}) {
    if (!fs::exists(p)) {
      error = "pocketsphinx: model file " + p + " is missing (Debian package pocketsphinx-en-us)";
      return nullptr;
    }
  }
  if (settings.maxUtteranceMs < 100) {
    error = "pocketsphinx: maxUtteranceMs must be at least 100";
    return nullptr;
  }
  // The library logs every model parameter to stderr by default.
  err_set_logfp(nullptr);
  cmd_ln_t* config =
      cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-dict", dict.c_str(), "-logfn", "/dev/null", nullptr);
  if (config == nullptr) {
    error = "pocketsphinx: bad configuration";
    return nullptr;
  }
  ps_decoder_t* ps = ps_init(config);
  cmd_ln_free_r(config);  // ps_init keeps its own reference
  if (ps == nullptr) {
    error = "pocketsphinx: ps_init failed on " + settings.modelDir;
    return nullptr;
  }
  std::unique_ptr<PocketSphinxRecognizer> r(new PocketSphinxRecognizer(ps, settings));
  if (!settings.phrases.empty()) {
    auto known = [ps](std::string_view w) {
      char* pron = ps_lookup_word(ps, std::string(w).c_str());
      ckd_free(pron);
      return pron != nullptr;
    };
    auto grammar = buildJsgfGrammar(settings.phrases, known, error);
    if (!grammar) return nullptr;
    if (!setGrammar(ps, grammar->text)) {
      error = "pocketsphinx: the generated grammar was refused";
      return nullptr;
    }
    r->droppedWords_ = std::move(grammar->droppedWords);
    r->hasGrammar_ = true;
  }
  if (settings.phrases.empty() || settings.fallbackToLm) {
    if (!fs::exists(lm) || ps_set_lm_file(ps, kLmSearch, lm.c_str()) != 0) {
      error = "pocketsphinx: cannot load the language model " + lm;
      return nullptr;
    }
    r->hasLm_ = true;
  }
  return r;
}

PocketSphinxRecognizer::PocketSphinxRecognizer(ps_decoder_s* ps, const PocketSphinxSettings& settings)
    : ps_(ps), settings_(settings) {
  audio_.resize(static_cast<size_t>(settings.maxUtteranceMs) * 16);
}

PocketSphinxRecognizer::~PocketSphinxRecognizer() { ps_free(ps_); }

void PocketSphinxRecognizer::beginUtterance() {
  ps_set_search(ps_, hasGrammar_ ? kGrammarSearch : kLmSearch);
  ps_start_utt(ps_);
  inUtterance_ = true;
  kept_ = 0;
  computeUs_ = 0;
}

bool PocketSphinxRecognizer::push(std::span<const int16_t> pcm) {
  const auto started = std::chrono::steady_clock::now();
  if (!inUtterance_) beginUtterance();
  const size_t room = audio_.size() - kept_;
  const size_t take = std::min(room, pcm.size());
  std::copy_n(pcm.begin(), take, audio_.begin() + static_cast<long>(kept_));
  kept_ += take;
  // Decode as the audio arrives so finish() only has the tail left to do.
  if (take > 0) ps_process_raw(ps_, pcm.data(), take, FALSE, FALSE);
  computeUs_ +=
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  return take == pcm.size();
}

SttResult PocketSphinxRecognizer::collect(const char* source) {
  SttResult r;
  r.source = source;
  r.audioMs = static_cast<int64_t>(kept_) / 16;
  int32 score = 0;
  const char* hyp = ps_get_hyp(ps_, &score);
  if (hyp != nullptr) r.text = hyp;
  if (r.text.empty()) return r;
  // The language model's confidence is its posterior, from the lattice.
  const bool grammar = std::string_view(source) == kGrammarSearch;
  r.confidence =
      grammar ? grammarConfidence(score, ps_get_n_frames(ps_)) : logmath_exp(ps_get_logmath(ps_), ps_get_prob(ps_));
  for (ps_seg_t* seg = ps_seg_iter(ps_); seg != nullptr; seg = ps_seg_next(seg)) {
    const char* w = ps_seg_word(seg);
    // Fillers (<s>, </s>, <sil>, [NOISE]) are not words of the transcript.
    if (w == nullptr || w[0] == '<' || w[0] == '[') continue;
    int sf = 0, ef = 0;
    ps_seg_frames(seg, &sf, &ef);
    std::string word = w;
    // Alternative pronunciations are named "word(2)".
    if (auto paren = word.find('('); paren != std::string::npos) word.resize(paren);
    // Debian's 0.8+5prealpha numbers the language-model search's frames
    // with an offset carried over from earlier utterances (seen: a second
    // utterance's words starting at frame 766): only the grammar search's
    // word times are reliable, the others are -1.
    if (grammar) {
      r.words.push_back({word, sf * 1000LL / kFramesPerSecond, (ef + 1) * 1000LL / kFramesPerSecond});
    } else {
      r.words.push_back({word, -1, -1});
    }
  }
  return r;
}

SttResult PocketSphinxRecognizer::decodeKeptAudioWith(const char* search) {
  ps_set_search(ps_, search);
  ps_start_utt(ps_);
  ps_process_raw(ps_, audio_.data(), kept_, FALSE, TRUE);
  ps_end_utt(ps_);
  return collect(search);
}

SttResult PocketSphinxRecognizer::finish() {
  const auto started = std::chrono::steady_clock::now();
  if (!inUtterance_) return SttResult{.source = hasGrammar_ ? kGrammarSearch : kLmSearch};
  ps_end_utt(ps_);
  inUtterance_ = false;
  SttResult r = collect(hasGrammar_ ? kGrammarSearch : kLmSearch);
  if (hasGrammar_ && hasLm_ && (r.text.empty() || r.confidence < settings_.minGrammarConfidence)) {
    // The grammar forced a phrase onto speech it does not cover (or heard
    // nothing): the language model gets the same audio.
    SttResult lm = decodeKeptAudioWith(kLmSearch);
    if (!lm.text.empty()) r = std::move(lm);
  }
  computeUs_ +=
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  r.computeMs = computeUs_ / 1000;
  computeUs_ = 0;
  return r;
}

void PocketSphinxRecognizer::cancel() {
  if (inUtterance_) ps_end_utt(ps_);
  inUtterance_ = false;
  kept_ = 0;
}

}  // namespace convox::voice

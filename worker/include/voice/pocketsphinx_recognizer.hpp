#pragma once

// SpeechToText on PocketSphinx (Debian's 0.8+5prealpha, US English model):
// a JSGF grammar built from the agent's phrases, decoded as the audio
// arrives, and the generic en-us language model as a fallback for speech the
// grammar does not cover (re-decoding the kept utterance audio when the
// grammar's confidence is low).

#include <memory>
#include <string>
#include <vector>

#include "voice/jsgf_grammar.hpp"
#include "voice/speech_to_text.hpp"

struct ps_decoder_s;

namespace convox::voice {

struct PocketSphinxSettings {
  std::string modelDir = "/usr/share/pocketsphinx/model/en-us";  // en-us/, cmudict-en-us.dict, en-us.lm.bin
  std::vector<std::string> phrases{};                            // empty: the generic language model only
  bool fallbackToLm = true;
  // Below this grammar confidence (derived from the path score per frame,
  // see grammarConfidence() for the measurement) or with no grammar path at
  // all, the utterance is re-decoded with the language model.
  double minGrammarConfidence = 0.5;
  int maxUtteranceMs = 15000;  // the STT input cap of issue 13 §8
};

// One decoder: use it from one thread at a time (the compute pool task that
// owns the utterance).
class PocketSphinxRecognizer final : public SpeechToText {
 public:
  // Loads the model (hundreds of ms: do it off the media thread).
  static std::unique_ptr<PocketSphinxRecognizer> create(const PocketSphinxSettings& settings, std::string& error);
  ~PocketSphinxRecognizer() override;

  int sampleRate() const override { return 16000; }
  bool push(std::span<const int16_t> pcm) override;
  SttResult finish() override;
  void cancel() override;

  // The words left out of the grammar (unknown to the dictionary).
  const std::vector<std::string>& droppedWords() const { return droppedWords_; }
  bool hasGrammar() const { return hasGrammar_; }

 private:
  PocketSphinxRecognizer(ps_decoder_s* ps, const PocketSphinxSettings& settings);
  SttResult decodeKeptAudioWith(const char* search);
  SttResult collect(const char* source);
  void beginUtterance();

  // Allocated by this.
  ps_decoder_s* ps_;
  std::vector<int16_t> audio_;  // the utterance, preallocated to the cap
  // Others.
  PocketSphinxSettings settings_;
  std::vector<std::string> droppedWords_;
  bool hasGrammar_ = false;
  bool hasLm_ = false;
  bool inUtterance_ = false;
  size_t kept_ = 0;
  int64_t computeUs_ = 0;
};

}  // namespace convox::voice

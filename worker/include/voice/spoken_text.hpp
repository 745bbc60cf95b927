#pragma once

// What the listener has heard of an utterance: the text handed to TTS piece
// by piece, each piece with where its audio starts in the utterance and,
// when the engine reports them, where each word starts. An interrupted
// turn is stored (and kept in the history) with the words that had begun
// playing when the audio stopped, not the whole sentence.

#include <cstdint>
#include <string>
#include <vector>

#include "voice/text_to_speech.hpp"

namespace convox::voice {

class SpokenText {
 public:
  // `startSample`, `samples`: the piece's audio within the utterance.
  // `words`: where its words start (samples from the piece's start); empty
  // when the engine reports none, and the piece is then cut in proportion
  // to its length.
  void add(std::string text, int64_t startSample, int64_t samples, std::vector<TtsWord> words);
  // The text of every word whose audio had begun when `playedSamples` of
  // the utterance were sent.
  std::string upTo(int64_t playedSamples) const;
  std::string all() const;
  bool empty() const { return pieces_.empty(); }
  void clear() { pieces_.clear(); }

 private:
  struct Piece {
    std::string text;
    int64_t start = 0;
    int64_t samples = 0;
    std::vector<TtsWord> words;
  };
  static std::string cut(const Piece& piece, int64_t played);

  std::vector<Piece> pieces_;
};

}  // namespace convox::voice

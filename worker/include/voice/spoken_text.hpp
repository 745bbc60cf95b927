#pragma once

// What the listener has heard of an utterance: the text handed to TTS piece
// by piece, each piece with where its audio starts in the utterance and,
// when the engine reports them, where each word starts. An interrupted
// turn is stored (and kept in the history) with the words that had begun
// playing when the audio stopped, not the whole sentence, and its caption
// follows the audio word by word (LiveKit synchronises its transcription
// with playout too), so a cut caption shows what was heard.

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
  // The text heard since the last take (upTo's growth): the caption's next
  // delta. The deltas of an utterance add up to all().
  std::string takeUpTo(int64_t playedSamples);
  std::string takeAll();
  bool empty() const { return pieces_.empty(); }
  void clear() {
    pieces_.clear();
    taken_ = 0;
  }

 private:
  struct Piece {
    std::string text;
    int64_t start = 0;
    int64_t samples = 0;
    std::vector<TtsWord> words;
  };
  static std::string cut(const Piece& piece, int64_t played);

  std::vector<Piece> pieces_;
  size_t taken_ = 0;  // bytes of all() handed out by take*()
};

}  // namespace convox::voice

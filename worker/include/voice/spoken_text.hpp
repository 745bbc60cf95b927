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
  // delta. The deltas of an utterance add up to all(). Called once per
  // 20 ms frame, so it is incremental: a cursor moves over the words, and
  // a string is built only when a new word has begun; otherwise it returns
  // an empty string (no allocation). `playedSamples` only grows; a smaller
  // value takes nothing.
  std::string takeUpTo(int64_t playedSamples);
  std::string takeAll();
  bool empty() const { return pieces_.empty(); }
  void clear() {
    pieces_.clear();
    taken_ = 0;
    heard_ = 0;
    piece_ = 0;
    mark_ = 0;
  }

 private:
  // Where a word begins to count as heard, and where the heard text then
  // ends in the piece (through the end of that word).
  struct Mark {
    int64_t key = 0;  // timed: the word's first sample; proportional: its byte offset
    size_t textEnd = 0;
  };
  struct Piece {
    std::string text;
    int64_t start = 0;
    int64_t samples = 0;
    std::vector<TtsWord> words;
    std::vector<Mark> marks;  // in order, made by add()
    size_t offset = 0;        // where the piece starts in all()
  };
  static std::string cut(const Piece& piece, int64_t played);
  std::string takeTo(size_t heard);

  std::vector<Piece> pieces_;
  size_t taken_ = 0;  // bytes of all() handed out by take*()
  // The cursor of takeUpTo(): bytes of all() heard, the piece it is in and
  // that piece's next mark.
  size_t heard_ = 0;
  size_t piece_ = 0;
  size_t mark_ = 0;
};

}  // namespace convox::voice

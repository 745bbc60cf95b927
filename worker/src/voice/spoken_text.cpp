#include "voice/spoken_text.hpp"

#include <algorithm>

namespace convox::voice {

namespace {

// The text up to the end of the word that starts at or before `at`.
std::string throughWordAt(const std::string& text, size_t at) {
  at = std::min(at, text.size());
  const size_t end = text.find(' ', at);
  std::string out = text.substr(0, end == std::string::npos ? text.size() : end);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Where throughWordAt(text, at) ends.
size_t wordEndAt(const std::string& text, size_t at) {
  at = std::min(at, text.size());
  size_t end = std::min(text.find(' ', at), text.size());
  while (end > 0 && text[end - 1] == ' ') --end;
  return end;
}

// The byte offset in the piece cut() computes for `into` samples without
// word times, plus one: a word at offset o is heard once this exceeds o.
int64_t proportionalKey(const std::string& text, int64_t into, int64_t samples) {
  const auto at = static_cast<size_t>(static_cast<double>(text.size()) * static_cast<double>(into) /
                                      static_cast<double>(std::max<int64_t>(samples, 1)));
  return static_cast<int64_t>(std::min(at, text.size())) + 1;
}

}  // namespace

void SpokenText::add(std::string text, int64_t startSample, int64_t samples, std::vector<TtsWord> words) {
  Piece piece{std::move(text), startSample, samples, std::move(words), {}, 0};
  if (!pieces_.empty()) piece.offset = pieces_.back().offset + pieces_.back().text.size() + 1;
  // The marks are cut()'s rule precomputed, so the per-frame take only
  // compares numbers.
  if (!piece.words.empty()) {
    for (const auto& w : piece.words) piece.marks.push_back({w.sample, wordEndAt(piece.text, w.textOffset)});
  } else {
    for (size_t at = 0; at < piece.text.size(); ++at) {
      if (piece.text[at] != ' ' && (at == 0 || piece.text[at - 1] == ' ')) {
        piece.marks.push_back({static_cast<int64_t>(at), wordEndAt(piece.text, at)});
      }
    }
  }
  pieces_.push_back(std::move(piece));
}

std::string SpokenText::cut(const Piece& piece, int64_t played) {
  const int64_t into = played - piece.start;
  if (into >= piece.samples) return piece.text;
  if (piece.words.empty()) {
    // No word times: the share of the text that matches the share of audio.
    const auto at = static_cast<size_t>(static_cast<double>(piece.text.size()) * static_cast<double>(into) /
                                        static_cast<double>(std::max<int64_t>(piece.samples, 1)));
    return throughWordAt(piece.text, at);
  }
  const TtsWord* last = nullptr;
  for (const auto& w : piece.words)
    if (w.sample < into) last = &w;
  return last == nullptr ? std::string() : throughWordAt(piece.text, last->textOffset);
}

std::string SpokenText::upTo(int64_t playedSamples) const {
  std::string out;
  for (const auto& piece : pieces_) {
    if (piece.start >= playedSamples) break;
    const std::string heard = cut(piece, playedSamples);
    if (heard.empty()) continue;
    if (!out.empty()) out += ' ';
    out += heard;
  }
  return out;
}

std::string SpokenText::takeUpTo(int64_t playedSamples) {
  while (piece_ < pieces_.size()) {
    const Piece& piece = pieces_[piece_];
    if (piece.start >= playedSamples) break;
    const int64_t into = playedSamples - piece.start;
    if (into >= piece.samples) {  // played to its end: all of it
      if (!piece.text.empty()) heard_ = std::max(heard_, piece.offset + piece.text.size());
      ++piece_;
      mark_ = 0;
      continue;
    }
    const bool timed = !piece.words.empty();
    const int64_t key = timed ? into : proportionalKey(piece.text, into, piece.samples);
    for (; mark_ < piece.marks.size() && piece.marks[mark_].key < key; ++mark_) {
      if (piece.marks[mark_].textEnd > 0) heard_ = std::max(heard_, piece.offset + piece.marks[mark_].textEnd);
    }
    break;
  }
  return takeTo(heard_);
}

std::string SpokenText::takeAll() {
  piece_ = pieces_.size();
  if (!pieces_.empty()) heard_ = std::max(heard_, pieces_.back().offset + pieces_.back().text.size());
  return takeTo(heard_);
}

// all()'s bytes [taken_, heard), built from the pieces without all().
std::string SpokenText::takeTo(size_t heard) {
  if (heard <= taken_) return {};
  std::string delta;
  delta.reserve(heard - taken_);
  for (const auto& piece : pieces_) {
    const size_t begin = piece.offset == 0 ? 0 : piece.offset - 1;  // the joining space
    const size_t end = piece.offset + piece.text.size();
    if (end <= taken_) continue;
    if (begin >= heard) break;
    for (size_t at = std::max(begin, taken_); at < std::min(end, heard); ++at) {
      delta += at < piece.offset ? ' ' : piece.text[at - piece.offset];
    }
  }
  taken_ = heard;
  return delta;
}

std::string SpokenText::all() const {
  std::string out;
  for (const auto& piece : pieces_) {
    if (!out.empty()) out += ' ';
    out += piece.text;
  }
  return out;
}

}  // namespace convox::voice

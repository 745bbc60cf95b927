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

}  // namespace

void SpokenText::add(std::string text, int64_t startSample, int64_t samples, std::vector<TtsWord> words) {
  pieces_.push_back({std::move(text), startSample, samples, std::move(words)});
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

namespace {
std::string takeFrom(const std::string& heard, size_t& taken) {
  if (heard.size() <= taken) return {};
  std::string delta = heard.substr(taken);
  taken = heard.size();
  return delta;
}
}  // namespace

std::string SpokenText::takeUpTo(int64_t playedSamples) { return takeFrom(upTo(playedSamples), taken_); }

std::string SpokenText::takeAll() { return takeFrom(all(), taken_); }

std::string SpokenText::all() const {
  std::string out;
  for (const auto& piece : pieces_) {
    if (!out.empty()) out += ' ';
    out += piece.text;
  }
  return out;
}

}  // namespace convox::voice

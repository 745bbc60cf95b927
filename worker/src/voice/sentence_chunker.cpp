#include "voice/sentence_chunker.hpp"

#include <array>
#include <cctype>

namespace convox::voice {
namespace {

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool isTerminal(char c) { return c == '.' || c == '!' || c == '?'; }
// Closing quotes and brackets belong to the sentence they end.
bool isCloser(char c) { return c == '"' || c == '\'' || c == ')' || c == ']'; }

// Titles that a capitalised name follows: "Dr. Smith" is one sentence.
constexpr std::array<std::string_view, 10> kTitles = {"dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "mt", "vs"};

}  // namespace

SentenceChunker::SentenceChunker(ChunkerSettings settings) : settings_(settings) {
  buffer_.reserve(settings_.maxChars * 2);
}

void SentenceChunker::push(std::string_view text, const Sink& sink) {
  buffer_.append(text);
  scan(false, sink);
}

void SentenceChunker::finish(const Sink& sink) {
  scan(true, sink);
  emit(buffer_.size(), sink);
  reset();
}

void SentenceChunker::reset() {
  buffer_.clear();
  scanned_ = 0;
  firstChunk_ = true;
}

size_t SentenceChunker::nextNonSpace(size_t from) const {
  while (from < buffer_.size() && isSpace(buffer_[from])) ++from;
  return from < buffer_.size() ? from : std::string::npos;
}

size_t SentenceChunker::wordsBefore(size_t end) const {
  size_t words = 0;
  bool inWord = false;
  for (size_t i = 0; i < end; ++i) {
    const bool space = isSpace(buffer_[i]);
    if (!space && !inWord) ++words;
    inWord = !space;
  }
  return words;
}

// `dot` ends a run of terminal punctuation; `next` is the next non-space
// byte after it. A lower-case word or a digit continues the sentence
// ("e.g. apples", "3 p.m. tomorrow"); a title continues it before a name.
bool SentenceChunker::dotEndsSentence(size_t dot, size_t next) const {
  const char n = buffer_[next];
  if (std::islower(static_cast<unsigned char>(n)) != 0 || std::isdigit(static_cast<unsigned char>(n)) != 0) {
    return false;
  }
  size_t start = dot;
  while (start > 0 && std::isalpha(static_cast<unsigned char>(buffer_[start - 1])) != 0) --start;
  std::string word;
  for (size_t i = start; i < dot; ++i) word += static_cast<char>(std::tolower(static_cast<unsigned char>(buffer_[i])));
  if (word.size() == 1 && std::isupper(static_cast<unsigned char>(buffer_[start])) != 0) return false;  // "J. Smith"
  for (auto t : kTitles) {
    if (word == t) return false;
  }
  return true;
}

void SentenceChunker::scan(bool final, const Sink& sink) {
  size_t i = scanned_;
  while (i < buffer_.size()) {
    const char c = buffer_[i];
    if (c == '\n') {
      emit(i + 1, sink);
      i = 0;
      continue;
    }
    const bool comma = c == ',' || c == ';' || c == ':';
    if (!isTerminal(c) && !(comma && firstChunk_ && settings_.firstChunkEarly)) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < buffer_.size() && (isTerminal(buffer_[end]) || isCloser(buffer_[end]))) ++end;
    // Whether this ends a chunk depends on what follows: wait for it.
    const size_t next = nextNonSpace(end);
    if (next == std::string::npos && !final) {
      scanned_ = i;
      return;
    }
    // "3.5", "1,000", "a.m" and "U.S" have no space after the mark.
    const bool spaced = end == buffer_.size() || isSpace(buffer_[end]);
    bool cut = false;
    if (spaced && comma) {
      cut = wordsBefore(i) >= settings_.minWordsAtComma;
    } else if (spaced) {
      const bool dotted =
          buffer_[end - 1] == '.' || (end >= 2 && buffer_[end - 2] == '.' && isCloser(buffer_[end - 1]));
      cut = !dotted || next == std::string::npos || dotEndsSentence(i, next);
    }
    if (cut) {
      emit(end, sink);
      i = 0;
    } else {
      i = end;
    }
  }
  scanned_ = i;
  // No punctuation for too long (a list, a model that does not punctuate):
  // cut at the last space so TTS is not starved.
  while (buffer_.size() > settings_.maxChars) {
    const size_t space = buffer_.rfind(' ', settings_.maxChars);
    emit(space == std::string::npos || space == 0 ? settings_.maxChars : space, sink);
  }
}

void SentenceChunker::emit(size_t end, const Sink& sink) {
  std::string_view chunk(buffer_.data(), end);
  while (!chunk.empty() && isSpace(chunk.front())) chunk.remove_prefix(1);
  while (!chunk.empty() && isSpace(chunk.back())) chunk.remove_suffix(1);
  if (!chunk.empty()) {
    sink(chunk);
    firstChunk_ = false;
  }
  buffer_.erase(0, end);
  scanned_ = 0;
}

}  // namespace convox::voice

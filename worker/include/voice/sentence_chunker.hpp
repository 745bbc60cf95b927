#pragma once

// Cuts a language model's streamed text into pieces for TTS: whole sentences,
// except that the first piece of a reply may end at a comma once it has a
// few words, so speech starts before the first sentence is complete.
// "Dr. Smith", "3.5", "e.g. this" and "3 p.m. tomorrow" are not sentence ends.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace convox::voice {

struct ChunkerSettings {
  bool firstChunkEarly = true;
  size_t minWordsAtComma = 6;  // words before a comma that may end the first chunk
  size_t maxChars = 300;       // a chunk without punctuation is cut at a space
};

class SentenceChunker {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit SentenceChunker(ChunkerSettings settings = {});

  // Appends streamed text; calls `sink` with each chunk that is complete.
  void push(std::string_view text, const Sink& sink);
  // End of the reply: emits what is left.
  void finish(const Sink& sink);
  // A new reply (after finish or a barge-in).
  void reset();

 private:
  void scan(bool final, const Sink& sink);
  void emit(size_t end, const Sink& sink);
  // The index of the next non-space byte at or after `from`, or npos.
  size_t nextNonSpace(size_t from) const;
  bool dotEndsSentence(size_t dot, size_t next) const;
  size_t wordsBefore(size_t end) const;

  ChunkerSettings settings_;
  std::string buffer_;
  size_t scanned_ = 0;  // bytes of buffer_ known not to end a chunk
  bool firstChunk_ = true;
};

}  // namespace convox::voice

#include "voice/barge_in.hpp"

#include <cctype>

namespace convox::voice {

BargeInAction BargeIn::pause() {
  if (paused_) return BargeInAction::None;
  paused_ = true;
  return BargeInAction::Pause;
}

BargeInAction BargeIn::resume() {
  if (!paused_) return BargeInAction::None;
  paused_ = false;
  return BargeInAction::Resume;
}

BargeInAction BargeIn::onSpeechStart(int64_t startMs, bool agentTalking) {
  // Speech while an earlier one's transcript is awaited belongs to the same
  // decision: the words of the first one decide.
  if (state_ == State::AwaitingTranscript) return BargeInAction::None;
  discard_ = false;
  if (!settings_.enabled || !agentTalking) {
    state_ = State::Idle;
    return BargeInAction::None;
  }
  state_ = State::Candidate;
  startMs_ = startMs;
  voicedAtResume_ = -1;
  return settings_.pauseAtOnset ? pause() : BargeInAction::None;
}

BargeInAction BargeIn::onAudio(int64_t streamMs, int64_t lastVoicedEndMs) {
  if (state_ == State::AwaitingTranscript) {
    if (streamMs < deadlineMs_) return BargeInAction::None;
    // No transcript in time: LiveKit's false-interruption timeout.
    state_ = State::Idle;
    discard_ = true;
    return resume();
  }
  if (state_ != State::Candidate) return BargeInAction::None;
  // The length of the speech: from its first voiced frame to its last, gaps
  // included (what Silero's speech duration counts).
  if (lastVoicedEndMs - startMs_ >= settings_.minDurationMs) {
    if (settings_.minWords <= 0) {
      state_ = State::Interrupted;
      paused_ = false;
      return BargeInAction::Interrupt;
    }
    state_ = State::AwaitingWords;
    return settings_.pauseAtOnset ? pause() : BargeInAction::None;
  }
  if (!settings_.pauseAtOnset) return BargeInAction::None;
  if (paused_ && streamMs - lastVoicedEndMs >= settings_.resumeSilenceMs) {
    voicedAtResume_ = lastVoicedEndMs;
    return resume();
  }
  // The voice came back before the VAD's speech end: pause again.
  if (!paused_ && voicedAtResume_ >= 0 && lastVoicedEndMs > voicedAtResume_) return pause();
  return BargeInAction::None;
}

BargeInAction BargeIn::onSpeechEnd(int64_t streamMs) {
  switch (state_) {
    case State::Candidate:
      // Too short to be an interruption: not a turn, and the agent goes on.
      state_ = State::Idle;
      discard_ = true;
      return resume();
    case State::AwaitingWords:
      state_ = State::AwaitingTranscript;
      deadlineMs_ = streamMs + settings_.falseInterruptionTimeoutMs;
      return BargeInAction::None;
    case State::Interrupted:
      state_ = State::Idle;
      return BargeInAction::None;
    default:
      return BargeInAction::None;
  }
}

BargeInAction BargeIn::onTranscript(std::string_view text) {
  if (!waitingForWords()) return BargeInAction::None;
  state_ = State::Idle;
  if (countWords(text) >= settings_.minWords) {
    paused_ = false;
    discard_ = false;
    return BargeInAction::Interrupt;
  }
  discard_ = true;
  return resume();
}

BargeInAction BargeIn::onInterimTranscript(std::string_view text) {
  if (!waitingForWords() || countWords(text) < settings_.minWords) return BargeInAction::None;
  return onTranscript(text);
}

void BargeIn::reset() {
  state_ = State::Idle;
  paused_ = false;
  discard_ = false;
  voicedAtResume_ = -1;
}

int64_t BargeIn::countWords(std::string_view text) {
  int64_t words = 0;
  bool inWord = false;
  for (const char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !inWord) ++words;
    inWord = !space;
  }
  return words;
}

}  // namespace convox::voice

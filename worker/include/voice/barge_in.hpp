#pragma once

// Barge-in: decides, from the VAD and the transcript, what the agent's
// outgoing audio does while the user talks over it. LiveKit Agents waits
// for min_interruption_duration (0.5 s) before reacting at all; we pause
// the audio at the VAD's speech start (about 100 ms of voice) and decide
// afterwards:
//   - the speech lasts min_interruption_duration (and, when min_words is
//     set, its transcript has that many words): an interruption, the queued
//     audio is flushed and the user's speech is a turn;
//   - it stops sooner (a click, a cough, "mhm"): the audio resumes where it
//     paused once the user has been quiet for resumeSilenceMs, and the
//     speech is not a turn.
// Pure logic in stream time (ms of user audio fed to the VAD): the voice
// agent feeds it and carries out the actions it returns.

#include <cstdint>
#include <string_view>

namespace convox::voice {

struct BargeInSettings {
  bool enabled = true;  // interruption_handling.enabled
  // interruption_handling.resume_false_interruption: pause at the speech
  // start and resume after a false interruption. Off, the audio plays on
  // until the speech qualifies (LiveKit's behaviour without the resume).
  bool pauseAtOnset = true;
  int64_t minDurationMs = 500;  // interruption_handling.min_duration_ms
  int64_t minWords = 0;         // interruption_handling.min_words, counted on the final transcript
  // A pause in the user's voice this long ends a short burst: the agent
  // resumes. Long enough to bridge the gaps between words (the WebRTC VAD
  // already holds its decision ~70 ms past the energy), short enough that a
  // click costs the listener about a quarter of a second.
  int64_t resumeSilenceMs = 250;
  // interruption_handling.false_interruption_timeout_ms: with min_words, how
  // long after the speech ended the agent waits for the transcript paused.
  int64_t falseInterruptionTimeoutMs = 2000;
};

enum class BargeInAction {
  None,
  Pause,      // hold the agent's audio where it is
  Resume,     // go on from where it paused
  Interrupt,  // flush the agent's audio, cancel the reply
};

class BargeIn {
 public:
  explicit BargeIn(const BargeInSettings& settings) : settings_(settings) {}

  // The VAD heard speech start at `startMs`; `agentTalking`: the agent is
  // speaking or about to.
  BargeInAction onSpeechStart(int64_t startMs, bool agentTalking);
  // After each block of audio the VAD processed.
  BargeInAction onAudio(int64_t streamMs, int64_t lastVoicedEndMs);
  // The VAD's speech end.
  BargeInAction onSpeechEnd(int64_t streamMs);
  // The final transcript of the speech, when waitingForWords().
  BargeInAction onTranscript(std::string_view text);
  // A streaming recognizer's interim transcript of the same speech: enough
  // words interrupt at once; fewer decide nothing yet (the final decides).
  BargeInAction onInterimTranscript(std::string_view text);
  // The agent's reply ended or was cut by other means (typed input): any
  // pending decision is moot.
  void reset();

  // A barge-in is being decided (the agent's audio may be paused).
  bool deciding() const { return state_ != State::Idle && state_ != State::Interrupted; }
  // The speech qualified by length; its transcript decides (min_words).
  bool waitingForWords() const { return state_ == State::AwaitingWords || state_ == State::AwaitingTranscript; }
  // The last speech talked over the agent without interrupting it: its
  // transcript is not a turn.
  bool discardSpeech() const { return discard_; }
  bool paused() const { return paused_; }

  static int64_t countWords(std::string_view text);

 private:
  enum class State {
    Idle,
    Candidate,           // speech over the agent, too short so far
    AwaitingWords,       // long enough; the transcript must have min_words
    AwaitingTranscript,  // ... and the speech has ended: bounded by the timeout
    Interrupted,         // flushed; the speech goes on as the user's turn
  };
  BargeInAction pause();
  BargeInAction resume();

  BargeInSettings settings_;
  State state_ = State::Idle;
  int64_t startMs_ = 0;
  int64_t deadlineMs_ = 0;
  int64_t voicedAtResume_ = -1;  // the VAD's last voiced end when a burst resumed the agent
  bool paused_ = false;
  bool discard_ = false;
};

}  // namespace convox::voice

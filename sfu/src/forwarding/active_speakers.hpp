#pragma once

// Room-level active-speaker detection from RFC 6464 audio levels. observe()
// runs per audio packet and only adds to counters; poll() runs on a timer
// (~every 200-500 ms), turns each interval into a smoothed linear level and
// reports who speaks, loudest first, plus what changed since the last poll in
// the shape of LiveKit's SpeakersChanged (speakers that started or whose level
// moved, and speakers that stopped with level 0). Keys are small integers the
// room assigns to tracks or participants; no strings or allocation after
// construction.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace convox::sfu {

struct ActiveSpeakerConfig {
  // A packet at or louder than this (dBov, lower is louder) counts as speech.
  uint8_t activeLevelDbov = 35;
  // Share of an interval's packets that must be speech for the interval to be.
  double minActiveFraction = 0.4;
  // Audio packet duration, to tell how many packets an interval should hold
  // (DTX sends almost none in silence).
  int64_t packetDurationMicros = 20'000;
  // Interval assumed for the first poll.
  int64_t pollIntervalMicros = 400'000;
  // Weight of a quieter interval in the smoothed level (exponential average);
  // a louder one replaces it outright.
  float smoothing = 0.5f;
  // A speaker's level is reported again once it moved this much (linear).
  float levelChangeThreshold = 0.05f;
  // Count a packet as speech only when the sender's voice-activity bit is set too.
  bool requireVoiceActivity = false;
};

struct SpeakerLevel {
  uint32_t key = 0;
  float level = 0;  // linear 0..1 (1 = 0 dBov)
  bool active = false;
};

struct SpeakerPoll {
  size_t speakerCount = 0;  // entries written to `speakers`
  size_t changeCount = 0;   // entries written to `changes`
  bool changed() const { return changeCount > 0; }
};

// 10^(-dBov/20): the RFC 6464 level as a linear amplitude 0..1.
float audioLevelToLinear(uint8_t levelDbov);

class ActiveSpeakerDetector {
 public:
  explicit ActiveSpeakerDetector(size_t maxKeys, ActiveSpeakerConfig config = {});

  // Per audio packet; keys >= maxKeys() are ignored.
  void observe(uint32_t key, uint8_t levelDbov, bool voiceActivity);
  // The track or participant went away: reported as stopped at the next poll
  // if it was speaking.
  void remove(uint32_t key);

  // Closes the interval. `speakers` gets the current speakers, loudest first
  // (the loudest speakers.size() when there are more); `changes` gets what a
  // SpeakersChanged should carry, loudest first then the ones that stopped.
  // Changes that do not fit are kept for the next poll.
  SpeakerPoll poll(int64_t nowMicros, std::span<SpeakerLevel> speakers, std::span<SpeakerLevel> changes);

  size_t maxKeys() const { return states_.size(); }

 private:
  struct KeyState {
    uint32_t packets = 0;
    uint32_t activePackets = 0;
    uint32_t activeDbovSum = 0;
    float smoothed = 0;
    float reported = 0;  // level last put in a change
    bool reportedActive = false;
    bool removed = false;
  };

  bool closeInterval(KeyState& state, double expectedPackets) const;

  // Others.
  ActiveSpeakerConfig config_;
  float activeLinear_;
  int64_t lastPollMicros_ = -1;
  std::vector<KeyState> states_;  // sized at construction, indexed by key
};

}  // namespace convox::sfu

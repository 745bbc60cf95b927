#include "forwarding/active_speakers.hpp"

#include <algorithm>
#include <cmath>

namespace convox::sfu {

namespace {

bool louder(const SpeakerLevel& a, const SpeakerLevel& b) {
  if (a.active != b.active) return a.active;  // stopped speakers after the speaking ones
  if (a.level != b.level) return a.level > b.level;
  return a.key < b.key;
}

// Keeps `out[0..count)` the loudest entries seen, in order; bounded by out.size().
void insertLoudest(std::span<SpeakerLevel> out, size_t& count, const SpeakerLevel& entry) {
  if (out.empty()) return;
  if (count == out.size()) {
    if (!louder(entry, out[count - 1])) return;
    --count;
  }
  size_t position = count;
  while (position > 0 && louder(entry, out[position - 1])) {
    out[position] = out[position - 1];
    --position;
  }
  out[position] = entry;
  ++count;
}

}  // namespace

float audioLevelToLinear(uint8_t levelDbov) {
  return std::pow(10.0f, -static_cast<float>(std::min<uint8_t>(levelDbov, 127)) / 20.0f);
}

ActiveSpeakerDetector::ActiveSpeakerDetector(size_t maxKeys, ActiveSpeakerConfig config)
    : config_(config), activeLinear_(audioLevelToLinear(config.activeLevelDbov)), states_(maxKeys) {}

void ActiveSpeakerDetector::observe(uint32_t key, uint8_t levelDbov, bool voiceActivity) {
  if (key >= states_.size()) return;
  KeyState& state = states_[key];
  state.removed = false;
  ++state.packets;
  if (levelDbov <= config_.activeLevelDbov && (voiceActivity || !config_.requireVoiceActivity)) {
    ++state.activePackets;
    state.activeDbovSum += levelDbov;
  }
}

void ActiveSpeakerDetector::remove(uint32_t key) {
  if (key >= states_.size()) return;
  KeyState& state = states_[key];
  const bool reportedActive = state.reportedActive;
  state = KeyState{};
  state.reportedActive = reportedActive;
  state.removed = true;
}

// Folds the interval's counters into the smoothed level; true while speaking.
bool ActiveSpeakerDetector::closeInterval(KeyState& state, double expectedPackets) const {
  const bool spoke = state.activePackets > 0 &&
                     static_cast<double>(state.activePackets) >=
                         config_.minActiveFraction * std::max(expectedPackets, static_cast<double>(state.packets));
  float intervalLevel = 0;
  if (spoke) {
    const float meanDbov = static_cast<float>(state.activeDbovSum) / static_cast<float>(state.activePackets);
    intervalLevel = std::pow(10.0f, -meanDbov / 20.0f);
  }
  // Instant attack, smoothed release: a new speaker shows at its real level at
  // once, a fading one does not vanish between words.
  if (intervalLevel >= state.smoothed) {
    state.smoothed = intervalLevel;
  } else {
    state.smoothed += config_.smoothing * (intervalLevel - state.smoothed);
  }
  state.packets = 0;
  state.activePackets = 0;
  state.activeDbovSum = 0;
  // Hangover: a speaker stays active while the smoothed level decays through
  // the threshold, so a breath between words does not toggle the list.
  return !state.removed && (spoke || state.smoothed >= activeLinear_);
}

SpeakerPoll ActiveSpeakerDetector::poll(int64_t nowMicros, std::span<SpeakerLevel> speakers,
                                        std::span<SpeakerLevel> changes) {
  const int64_t elapsed = lastPollMicros_ < 0 ? config_.pollIntervalMicros : nowMicros - lastPollMicros_;
  lastPollMicros_ = nowMicros;
  const double expectedPackets =
      static_cast<double>(std::max<int64_t>(elapsed, 0)) / static_cast<double>(config_.packetDurationMicros);

  SpeakerPoll result;
  for (size_t key = 0; key < states_.size(); ++key) {
    KeyState& state = states_[key];
    const bool active = closeInterval(state, expectedPackets);
    const auto id = static_cast<uint32_t>(key);
    if (active) insertLoudest(speakers, result.speakerCount, SpeakerLevel{id, state.smoothed, true});

    const bool started = active && !state.reportedActive;
    const bool moved = active && std::fabs(state.smoothed - state.reported) >= config_.levelChangeThreshold;
    const bool stopped = !active && state.reportedActive;
    if (!(started || moved || stopped) || result.changeCount == changes.size()) continue;
    changes[result.changeCount++] = SpeakerLevel{id, active ? state.smoothed : 0.0f, active};
    state.reportedActive = active;
    state.reported = active ? state.smoothed : 0.0f;
  }
  std::sort(changes.begin(), changes.begin() + static_cast<std::ptrdiff_t>(result.changeCount), louder);
  return result;
}

}  // namespace convox::sfu

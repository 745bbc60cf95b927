#include "media_room.hpp"

#include "media_worker.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace convox::sfu {

namespace {
constexpr size_t kMaxSpeakers = 256;  // audio publishers per room tracked for speaking
constexpr std::chrono::milliseconds kSpeakerPollInterval{400};
// How often simulcast down-tracks re-target their layer and dynacast looks
// at what subscribers want: quick enough to follow a layer that stops or a
// quality request, slow enough to stay off the packet path.
constexpr std::chrono::milliseconds kLayerPollInterval{200};

livekit::SubscribedQualityUpdate subscribedQualities(const UpTrack& track) {
  livekit::SubscribedQualityUpdate update;
  update.set_track_sid(track.sid());
  auto* codec = update.add_subscribed_codecs();
  // livekit-client matches this against the codec it publishes ("vp8").
  std::string name = track.codec().name;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  codec->set_codec(name);
  for (int q = livekit::LOW; q <= livekit::HIGH; ++q) {
    livekit::SubscribedQuality quality;
    quality.set_quality(static_cast<livekit::VideoQuality>(q));
    quality.set_enabled(q <= track.dynacastQuality());
    *update.add_subscribed_qualities() = quality;
    *codec->add_qualities() = quality;
  }
  return update;
}
// LiveKit's cadence for ConnectionQualityUpdate.
constexpr std::chrono::milliseconds kQualityPollInterval{2000};

}  // namespace

MediaRoom::MediaRoom() : speakers_(kMaxSpeakers), current_(16), changes_(32) {}

uint32_t MediaRoom::speakerKey(const std::string& participantSid) {
  auto it = std::find(speakerSids_.begin(), speakerSids_.end(), participantSid);
  if (it != speakerSids_.end()) return static_cast<uint32_t>(it - speakerSids_.begin());
  speakerSids_.push_back(participantSid);
  return static_cast<uint32_t>(speakerSids_.size() - 1);
}

void MediaRoom::add(const std::shared_ptr<UpTrack>& track) {
  tracks_[track->sid()] = track;
  if (track->kind() == TrackKind::Video && track->parameters().simulcast) {
    startPolling(pollingLayers_, kLayerPollInterval, &MediaRoom::pollLayers);
  }
  startPolling(pollingQuality_, kQualityPollInterval, &MediaRoom::pollQuality);
  if (track->kind() != TrackKind::Audio || track->parameters().audioLevelId == 0) return;
  const uint32_t key = speakerKey(track->parameters().publisherSid);
  if (key >= kMaxSpeakers) return;
  track->setAudioLevelObserver(
      [this, key](uint8_t level, bool voice, int64_t) { speakers_.observe(key, level, voice); });
  startPolling(pollingSpeakers_, kSpeakerPollInterval, &MediaRoom::pollSpeakers);
}

void MediaRoom::remove(const std::string& sid) {
  auto it = tracks_.find(sid);
  if (it == tracks_.end()) return;
  if (it->second->kind() == TrackKind::Audio) {
    const auto& publisher = it->second->parameters().publisherSid;
    auto key = std::find(speakerSids_.begin(), speakerSids_.end(), publisher);
    if (key != speakerSids_.end()) speakers_.remove(static_cast<uint32_t>(key - speakerSids_.begin()));
  }
  tracks_.erase(it);
}

void MediaRoom::startPolling(bool& running, std::chrono::milliseconds interval, Poll poll) {
  if (running || !worker) return;
  running = true;
  armPoll(interval, poll);
}

// Re-armed after each run while the room lives; the timer holds no strong reference.
void MediaRoom::armPoll(std::chrono::milliseconds interval, Poll poll) {
  worker->loop().addTimer(interval, [weak = weak_from_this(), interval, poll] {
    auto self = weak.lock();
    if (!self) return;
    ((*self).*poll)();
    self->armPoll(interval, poll);
  });
}

void MediaRoom::pollSpeakers() {
  const auto poll = speakers_.poll(steadyMicros(), current_, changes_);
  if (!poll.changed() || !onSpeakersChanged) return;
  std::vector<livekit::SpeakerInfo> out;
  for (size_t i = 0; i < poll.changeCount; ++i) {
    const auto& change = changes_[i];
    if (change.key >= speakerSids_.size()) continue;
    livekit::SpeakerInfo info;
    info.set_sid(speakerSids_[change.key]);
    info.set_level(change.level);
    info.set_active(change.active);
    out.push_back(std::move(info));
  }
  if (!out.empty()) onSpeakersChanged(std::move(out));
}

void MediaRoom::pollLayers() {
  const int64_t now = steadyMicros();
  for (const auto& [sid, track] : tracks_) {
    if (!track->updateLayers(now) || !onSubscribedQualities) continue;
    onSubscribedQualities(track->parameters().publisherSid, subscribedQualities(*track));
  }
}

void MediaRoom::addQualitySource(SubscriberQualitySource* source) {
  if (std::find(qualitySources_.begin(), qualitySources_.end(), source) == qualitySources_.end()) {
    qualitySources_.push_back(source);
  }
  startPolling(pollingQuality_, kQualityPollInterval, &MediaRoom::pollQuality);
}

void MediaRoom::pollQuality() {
  // Every 2 s for a room's few participants: a linear search by sid is fine.
  std::vector<std::pair<std::string, QualityInputs>> participants;
  const auto inputsOf = [&](const std::string& sid) -> QualityInputs& {
    for (auto& [s, inputs] : participants) {
      if (s == sid) return inputs;
    }
    return participants.emplace_back(sid, QualityInputs{}).second;
  };
  for (const auto& [sid, track] : tracks_) track->sampleQuality(inputsOf(track->parameters().publisherSid));
  for (auto* source : qualitySources_) source->sampleQuality(inputsOf(source->participantSid()));
  if (!onConnectionQuality || participants.empty()) return;
  std::vector<livekit::ConnectionQualityInfo> out;
  out.reserve(participants.size());
  for (const auto& [sid, inputs] : participants) {
    const auto rating = rateConnection(inputs);
    livekit::ConnectionQualityInfo info;
    info.set_participant_sid(sid);
    info.set_quality(static_cast<livekit::ConnectionQuality>(rating.quality));
    info.set_score(rating.score);
    out.push_back(std::move(info));
  }
  onConnectionQuality(std::move(out));
}

}  // namespace convox::sfu

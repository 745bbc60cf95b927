#pragma once

// A room's media state on its media thread: the published tracks by sid, so
// that subscriber transports can attach down-tracks to them, the active
// speaker detection over their audio levels, and every participant's
// connection quality. Created with the room and shared by its participants'
// transports; touched only on the media thread (except `worker` and the
// `on...` callbacks, set once before first use).

#include "forwarding/active_speakers.hpp"
#include "forwarding/connection_quality.hpp"
#include "proto/livekit_models.pb.h"
#include "proto/livekit_rtc.pb.h"
#include "up_track.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace convox::sfu {

class MediaWorker;

// A participant's receiving side as connection quality sees it: what its
// Receiver Reports said since the last sample. The subscriber transport.
class SubscriberQualitySource {
 public:
  virtual ~SubscriberQualitySource() = default;
  virtual const std::string& participantSid() const = 0;
  virtual void sampleQuality(QualityInputs& into) = 0;
};

class MediaRoom : public std::enable_shared_from_this<MediaRoom> {
 public:
  MediaRoom();

  // The thread the room lives on; set once, on the signalling thread, by the
  // first participant that needs media, before anything is posted to it.
  MediaWorker* worker = nullptr;
  // Speakers that started, changed level or stopped (LiveKit SpeakersChanged),
  // called on the media thread.
  std::function<void(std::vector<livekit::SpeakerInfo>)> onSpeakersChanged;
  // Dynacast: the layers a publisher should send of one of its simulcast
  // tracks changed (LiveKit SubscribedQualityUpdate), on the media thread.
  std::function<void(std::string publisherSid, livekit::SubscribedQualityUpdate)> onSubscribedQualities;
  // Every measured participant's quality, every ~2 s, called on the media thread.
  std::function<void(std::vector<livekit::ConnectionQualityInfo>)> onConnectionQuality;

  void add(const std::shared_ptr<UpTrack>& track);
  void remove(const std::string& sid);
  // Not owned: a source removes itself before it goes.
  void addQualitySource(SubscriberQualitySource* source);
  void removeQualitySource(SubscriberQualitySource* source) { std::erase(qualitySources_, source); }
  std::shared_ptr<UpTrack> find(const std::string& sid) const {
    auto it = tracks_.find(sid);
    return it == tracks_.end() ? nullptr : it->second;
  }

 private:
  using Poll = void (MediaRoom::*)();
  // Runs `poll` every `interval` on the media thread from now on; once per `running` flag.
  void startPolling(bool& running, std::chrono::milliseconds interval, Poll poll);
  void armPoll(std::chrono::milliseconds interval, Poll poll);
  void pollSpeakers();
  void pollLayers();
  void pollQuality();
  uint32_t speakerKey(const std::string& participantSid);

  std::map<std::string, std::shared_ptr<UpTrack>> tracks_;
  ActiveSpeakerDetector speakers_;
  std::vector<std::string> speakerSids_;  // key -> participant sid
  std::vector<SpeakerLevel> current_;
  std::vector<SpeakerLevel> changes_;
  std::vector<SubscriberQualitySource*> qualitySources_;
  bool pollingSpeakers_ = false;
  bool pollingLayers_ = false;
  bool pollingQuality_ = false;
};

}  // namespace convox::sfu

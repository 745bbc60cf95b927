#pragma once

// A room's media state on its media thread: the published tracks by sid, so
// that subscriber transports can attach down-tracks to them, and the active
// speaker detection over their audio levels. Created with the room and
// shared by its participants' transports; touched only on the media thread
// (except `worker` and `onSpeakersChanged`, set once before first use).

#include "forwarding/active_speakers.hpp"
#include "proto/livekit_models.pb.h"
#include "proto/livekit_rtc.pb.h"
#include "up_track.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace convox::sfu {

class MediaWorker;

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

  void add(const std::shared_ptr<UpTrack>& track);
  void remove(const std::string& sid);
  std::shared_ptr<UpTrack> find(const std::string& sid) const {
    auto it = tracks_.find(sid);
    return it == tracks_.end() ? nullptr : it->second;
  }

 private:
  void armSpeakerPoll();
  void pollSpeakers();
  void armLayerPoll();
  void pollLayers();
  uint32_t speakerKey(const std::string& participantSid);

  std::map<std::string, std::shared_ptr<UpTrack>> tracks_;
  ActiveSpeakerDetector speakers_;
  std::vector<std::string> speakerSids_;  // key -> participant sid
  std::vector<SpeakerLevel> current_;
  std::vector<SpeakerLevel> changes_;
  bool polling_ = false;
  bool pollingLayers_ = false;
};

}  // namespace convox::sfu

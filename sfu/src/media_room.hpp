#pragma once

// A room's media state on its media thread: the published tracks by sid, so
// that subscriber transports can attach down-tracks to them, and the active
// speaker detection over their audio levels. Created with the room and
// shared by its participants' transports; touched only on the media thread
// (except `worker` and `onSpeakersChanged`, set once before first use).

#include "forwarding/active_speakers.hpp"
#include "proto/livekit_models.pb.h"
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

  void add(const std::shared_ptr<UpTrack>& track);
  void remove(const std::string& sid);
  std::shared_ptr<UpTrack> find(const std::string& sid) const {
    auto it = tracks_.find(sid);
    return it == tracks_.end() ? nullptr : it->second;
  }

 private:
  void armSpeakerPoll();
  void pollSpeakers();
  uint32_t speakerKey(const std::string& participantSid);

  std::map<std::string, std::shared_ptr<UpTrack>> tracks_;
  ActiveSpeakerDetector speakers_;
  std::vector<std::string> speakerSids_;  // key -> participant sid
  std::vector<SpeakerLevel> current_;
  std::vector<SpeakerLevel> changes_;
  bool polling_ = false;
};

}  // namespace convox::sfu

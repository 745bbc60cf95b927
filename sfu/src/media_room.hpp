#pragma once

// A room's media state on its media thread: the published tracks by sid, so
// that subscriber transports can attach down-tracks to them. Created with
// the room and shared by its participants' transports; touched only on the
// media thread.

#include "up_track.hpp"

#include <map>
#include <memory>
#include <string>

namespace convox::sfu {

class MediaWorker;

class MediaRoom {
 public:
  // The thread the room lives on; set once, on the signalling thread, by the
  // first participant that needs media, before anything is posted to it.
  MediaWorker* worker = nullptr;

  void add(const std::shared_ptr<UpTrack>& track) { tracks_[track->sid()] = track; }
  void remove(const std::string& sid) { tracks_.erase(sid); }
  std::shared_ptr<UpTrack> find(const std::string& sid) const {
    auto it = tracks_.find(sid);
    return it == tracks_.end() ? nullptr : it->second;
  }
  size_t trackCount() const { return tracks_.size(); }

 private:
  std::map<std::string, std::shared_ptr<UpTrack>> tracks_;
};

}  // namespace convox::sfu

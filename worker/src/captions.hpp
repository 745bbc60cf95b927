#pragma once

// Captions as official LiveKit agents publish them (PROTOCOL-agent-frontend
// §1c): an lk.transcription text stream per segment (header, chunks,
// trailer with an empty reason) and, in parallel, the legacy Transcription
// packet that useVoiceAssistant reads. User captions go out on the user's
// behalf (the header names the user; the server marks them generated).

#include "proto/livekit_models.pb.h"

#include <functional>
#include <string>

namespace convox::worker {

class CaptionPublisher {
 public:
  using Send = std::function<bool(livekit::DataPacket&)>;  // sets the sequence, sends reliably
  explicit CaptionPublisher(Send send) : send_(std::move(send)) {}

  // A whole user transcript: one complete stream and one legacy packet.
  void userFinal(const std::string& identity, const std::string& trackSid, const std::string& text,
                 const std::string& language);
  // The agent's speech: open a segment, add text as it is spoken, close it.
  std::string agentBegin(const std::string& identity, const std::string& trackSid);
  void agentText(const std::string& segment, const std::string& delta);
  void agentEnd(const std::string& segment);

 private:
  struct Segment {
    std::string id;
    std::string streamId;
    std::string identity;
    std::string trackSid;
    std::string text;
    uint64_t chunks = 0;
    bool open = false;
  };
  void header(const Segment& s, bool final);
  void chunk(Segment& s, const std::string& text);
  void trailer(const Segment& s);
  void legacy(const Segment& s, bool final);

  Send send_;
  Segment agent_;
};

}  // namespace convox::worker

#include "captions.hpp"

#include "common/ids.hpp"

namespace convox::worker {

namespace {
constexpr size_t kMaxChunkBytes = 15000;  // STREAM_CHUNK_SIZE of the SDKs

// The longest prefix of `text` of at most `max` bytes that ends on a UTF-8 boundary.
size_t utf8Prefix(std::string_view text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}
}  // namespace

void CaptionPublisher::header(const Segment& s, bool final) {
  livekit::DataPacket packet;
  packet.set_participant_identity(s.identity);
  auto& h = *packet.mutable_stream_header();
  h.set_stream_id(s.streamId);
  h.set_timestamp(common::unixMillis());
  h.set_topic("lk.transcription");
  h.set_mime_type("text/plain");
  (*h.mutable_attributes())["lk.segment_id"] = s.id;
  (*h.mutable_attributes())["lk.transcription_final"] = final ? "true" : "false";
  if (!s.trackSid.empty()) (*h.mutable_attributes())["lk.transcribed_track_id"] = s.trackSid;
  h.mutable_text_header()->set_operation_type(livekit::DataStream::CREATE);
  send_(packet);
}

void CaptionPublisher::chunk(Segment& s, const std::string& text) {
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t n = utf8Prefix(rest, kMaxChunkBytes);
    livekit::DataPacket packet;
    auto& c = *packet.mutable_stream_chunk();
    c.set_stream_id(s.streamId);
    c.set_chunk_index(s.chunks++);
    c.set_content(std::string(rest.substr(0, n)));
    send_(packet);
    rest.remove_prefix(n == 0 ? rest.size() : n);
  }
}

void CaptionPublisher::trailer(const Segment& s) {
  livekit::DataPacket packet;
  auto& t = *packet.mutable_stream_trailer();
  t.set_stream_id(s.streamId);
  t.set_reason("");  // a non-empty reason errors the stream in livekit-client
  (*t.mutable_attributes())["lk.transcription_final"] = "true";
  if (!s.trackSid.empty()) (*t.mutable_attributes())["lk.transcribed_track_id"] = s.trackSid;
  send_(packet);
}

void CaptionPublisher::legacy(const Segment& s, bool final) {
  if (s.trackSid.empty()) return;  // the legacy form needs the track
  livekit::DataPacket packet;
  auto& t = *packet.mutable_transcription();
  t.set_transcribed_participant_identity(s.identity);
  t.set_track_id(s.trackSid);
  auto& segment = *t.add_segments();
  segment.set_id(s.id);
  segment.set_text(s.text);
  segment.set_final(final);
  send_(packet);
}

void CaptionPublisher::userFinal(const std::string& identity, const std::string& trackSid, const std::string& text,
                                 const std::string& language) {
  Segment s;
  s.id = common::newId("SG_");
  s.streamId = common::newId("ST_");
  s.identity = identity;
  s.trackSid = trackSid;
  s.text = text;
  header(s, true);
  chunk(s, text);
  trailer(s);
  legacy(s, true);
  (void)language;
}

std::string CaptionPublisher::agentBegin(const std::string& identity, const std::string& trackSid) {
  if (agent_.open) agentEnd(agent_.id);
  agent_ = Segment{};
  agent_.id = common::newId("SG_");
  agent_.streamId = common::newId("ST_");
  agent_.identity = identity;
  agent_.trackSid = trackSid;
  agent_.open = true;
  header(agent_, false);
  return agent_.id;
}

void CaptionPublisher::agentText(const std::string& segment, const std::string& delta) {
  if (!agent_.open || segment != agent_.id || delta.empty()) return;
  agent_.text += delta;
  chunk(agent_, delta);
  legacy(agent_, false);
}

void CaptionPublisher::agentEnd(const std::string& segment) {
  if (!agent_.open || segment != agent_.id) return;
  agent_.open = false;
  trailer(agent_);
  legacy(agent_, true);
}

}  // namespace convox::worker

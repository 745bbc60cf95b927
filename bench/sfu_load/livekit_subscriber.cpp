#include "load_subscriber.hpp"

#include "rtc/byte_io.hpp"

#include <algorithm>

namespace convox::bench {

LoadSubscriber::LoadSubscriber(LoadContext& context, std::string room, std::string identity, size_t expectedStreams)
    : LoadParticipant(context, std::move(room), std::move(identity)), expectedStreams_(expectedStreams) {
  streams_.reserve(expectedStreams);
}

size_t LoadSubscriber::liveStreams() const {
  size_t n = 0;
  for (const auto& s : streams_) n += s.counter.started() ? 1 : 0;
  return n;
}

void LoadSubscriber::openWindow() {
  for (auto& s : streams_) s.counter.openWindow();
}

int64_t LoadSubscriber::expectedInWindow() const {
  int64_t n = 0;
  for (const auto& s : streams_) n += s.counter.expectedInWindow();
  return n;
}

int64_t LoadSubscriber::receivedInWindow() const {
  int64_t n = 0;
  for (const auto& s : streams_) n += s.counter.receivedInWindow();
  return n;
}

void LoadSubscriber::onTrackSubscribed(const client::RemoteTrack& track) {
  const bool known =
      std::any_of(streams_.begin(), streams_.end(), [&](const Stream& s) { return s.ssrc == track.ssrc; });
  if (known) return;
  Stream stream;
  stream.ssrc = track.ssrc;
  stream.trackSid = track.trackSid;
  streams_.push_back(std::move(stream));
}

void LoadSubscriber::onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) {
  const int64_t now = steadyNanos();
  for (auto& s : streams_) {
    if (s.ssrc != track.ssrc) continue;
    s.counter.onPacket(packet.sequenceNumber());
    if (auto sent = packet.findExtension(kSendTimeExtensionId); sent && sent->size() == 8) {
      context_.latency.record(now - static_cast<int64_t>(rtc::loadBe64(sent->data())));
    }
    return;
  }
}

}  // namespace convox::bench

#include "livekit_subscriber.hpp"

#include "rtc/byte_io.hpp"

namespace convox::bench {

LivekitSubscriber::LivekitSubscriber(LoadContext& context, std::string room, std::string identity,
                                     size_t expectedStreams)
    : LivekitParticipant(context, std::move(room), std::move(identity)), expectedStreams_(expectedStreams) {
  streams_.reserve(expectedStreams);
}

void LivekitSubscriber::onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) {
  std::optional<int64_t> sent;
  if (auto ext = packet.findExtension(kSendTimeExtensionId); ext && ext->size() == 8) {
    sent = static_cast<int64_t>(rtc::loadBe64(ext->data()));
  }
  streams_.onPacket(track.ssrc, packet.sequenceNumber(), sent, steadyNanos(), context_.latency);
}

}  // namespace convox::bench

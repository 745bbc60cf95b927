#include "livekit_publisher.hpp"

#include "rtc/byte_io.hpp"
#include "rtc/opus_codec.hpp"

namespace convox::bench {

LivekitPublisher::LivekitPublisher(LoadContext& context, std::string room, std::string identity, int64_t phaseNanos)
    : LivekitParticipant(context, std::move(room), std::move(identity)), pacer_(phaseNanos) {}

void LivekitPublisher::onJoined(const livekit::JoinResponse&) {
  client::AudioTrackOptions options;
  options.name = "tone";
  options.dtx = false;
  options.extensions = {{kSendTimeExtensionId, std::nullopt, "urn:convox:bench:send-time-ns", ""}};
  track_ = &room_->publishAudio(std::move(options));
}

void LivekitPublisher::onSignal(const livekit::SignalResponse& message) {
  if (message.has_request_response() && message.request_response().reason() != livekit::RequestResponse::OK) {
    fail("request refused: " + message.request_response().message());
  }
}

void LivekitPublisher::tick(int64_t nowNanos) {
  if (!track_ || !track_->live()) return;
  pacer_.tick(nowNanos, context_.opusFrames, [&](const std::vector<uint8_t>& frame) {
    std::array<uint8_t, 8> sendTime{};
    rtc::storeBe64(sendTime.data(), static_cast<uint64_t>(steadyNanos()));
    const std::array<rtc::RtpExtensionEntry, 1> extensions{rtc::RtpExtensionEntry{kSendTimeExtensionId, sendTime}};
    track_->sendOpus(frame, rtc::kOpusFrameSamples, extensions);
  });
}

}  // namespace convox::bench

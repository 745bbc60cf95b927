#include "load_publisher.hpp"

#include "rtc/byte_io.hpp"
#include "rtc/opus_codec.hpp"

namespace convox::bench {

namespace {
constexpr int64_t kFrameNanos = 20'000'000;
// Behind by more than this (a stalled machine): skip ahead rather than burst.
constexpr int64_t kMaxCatchUpNanos = 200'000'000;
}  // namespace

LoadPublisher::LoadPublisher(LoadContext& context, std::string room, std::string identity, int64_t phaseNanos)
    : LoadParticipant(context, std::move(room), std::move(identity)), phaseNanos_(phaseNanos) {}

void LoadPublisher::onJoined(const livekit::JoinResponse&) {
  client::AudioTrackOptions options;
  options.name = "tone";
  options.dtx = false;
  options.extensions = {{kSendTimeExtensionId, std::nullopt, "urn:convox:bench:send-time-ns", ""}};
  track_ = &room_->publishAudio(std::move(options));
}

void LoadPublisher::onSignal(const livekit::SignalResponse& message) {
  if (message.has_request_response() && message.request_response().reason() != livekit::RequestResponse::OK) {
    fail("request refused: " + message.request_response().message());
  }
}

void LoadPublisher::tick(int64_t nowNanos) {
  if (!track_ || !track_->live()) return;
  if (nextFrameNanos_ == 0) nextFrameNanos_ = nowNanos + phaseNanos_;
  if (nowNanos - nextFrameNanos_ > kMaxCatchUpNanos) nextFrameNanos_ = nowNanos;
  while (nextFrameNanos_ <= nowNanos) {
    const auto& frame = context_.opusFrames[frameIndex_++ % context_.opusFrames.size()];
    std::array<uint8_t, 8> sendTime{};
    rtc::storeBe64(sendTime.data(), static_cast<uint64_t>(steadyNanos()));
    const std::array<rtc::RtpExtensionEntry, 1> extensions{rtc::RtpExtensionEntry{kSendTimeExtensionId, sendTime}};
    track_->sendOpus(frame, rtc::kOpusFrameSamples, extensions);
    nextFrameNanos_ += kFrameNanos;
  }
}

}  // namespace convox::bench

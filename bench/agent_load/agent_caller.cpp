#include "agent_caller.hpp"

#include "common/http_client.hpp"
#include "common/ids.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

namespace convox::bench {

namespace {

using namespace std::chrono_literals;

constexpr int64_t kFrameNanos = 20'000'000;
// Behind by more than this (a stalled machine): skip ahead rather than burst.
constexpr int64_t kMaxCatchUpNanos = 200'000'000;

int64_t steadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string wsUrl(const std::string& http) {
  if (http.rfind("http://", 0) == 0) return "ws://" + http.substr(7);
  if (http.rfind("https://", 0) == 0) return "wss://" + http.substr(8);
  return http;
}

std::string jsonString(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

AgentCaller::AgentCaller(CallerContext& context, std::string identity)
    : context_(context), identity_(std::move(identity)) {}

AgentCaller::~AgentCaller() = default;

void AgentCaller::fail(const std::string& reason) {
  if (failure_.empty()) failure_ = reason;
}

void AgentCaller::start() {
  const boost::json::object body{{"agent_id", context_.agentId}, {"identity", identity_}};
  common::httpRequest(
      *context_.io, "POST", context_.httpUrl + "/v1/calls",
      {{"authorization", "Bearer " + context_.apiKey}, {"content-type", "application/json"}},
      boost::json::serialize(body), 20s, [this](common::HttpClientResult result) {
        if (result.status != 201) {
          return fail("POST /v1/calls: " +
                      (result.status ? std::to_string(result.status) + " " + result.body : result.error));
        }
        boost::system::error_code ec;
        const auto parsed = boost::json::parse(result.body, ec);
        if (ec || !parsed.is_object()) return fail("POST /v1/calls: not a JSON object");
        const auto& call = parsed.as_object();
        conversationId_ = jsonString(call, "conversation_id");
        std::string url = jsonString(call, "url");
        join(url.empty() ? wsUrl(context_.httpUrl) : url, jsonString(call, "token"));
      });
}

void AgentCaller::join(const std::string& url, const std::string& token) {
  if (left_) return;
  std::string error;
  decoder_ = rtc::OpusFrameDecoder::create(1, error);
  if (!decoder_) return fail(error);
  client::RoomOptions options;
  options.url = url;
  options.token = token;
  options.signal.autoSubscribe = true;
  options.signal.sdk = "convox-agent-load";
  if (!context_.iceAddress.empty()) options.iceAddresses = {context_.iceAddress};
  options.certificate = context_.certificate;
  room_ = std::make_unique<client::Room>(*context_.loop, *context_.io, *this, std::move(options));
  if (!room_->connect(error)) fail("join: " + error);
}

void AgentCaller::leave() {
  if (left_) return;
  left_ = true;
  if (room_) room_->disconnect();
}

void AgentCaller::onJoined(const livekit::JoinResponse& join) {
  client::AudioTrackOptions microphone;
  microphone.dtx = false;  // a live microphone: a frame every 20 ms, speech or not
  microphone_ = &room_->publishAudio(std::move(microphone));
  for (const auto& p : join.other_participants()) {
    if (p.identity().rfind("agent-", 0) == 0 && p.attributes().contains("lk.agent.state")) {
      onAgentState(p.attributes().at("lk.agent.state"));
    }
  }
}

void AgentCaller::onSignal(const livekit::SignalResponse& message) {
  if (!message.has_update()) return;
  for (const auto& p : message.update().participants()) {
    if (p.identity().rfind("agent-", 0) != 0) continue;
    if (p.state() == livekit::ParticipantInfo::DISCONNECTED) {
      if (!left_) fail("the agent left the call");
      continue;
    }
    if (const auto it = p.attributes().find("lk.agent.state"); it != p.attributes().end()) onAgentState(it->second);
  }
}

void AgentCaller::onAgentState(const std::string& state) {
  if (state == agentState_) return;
  agentState_ = state;
  if (state == "speaking") agentSpoke_ = true;
  if (state != "listening" || !agentSpoke_) return;
  // Back to listening after speaking: the first message, or a reply, is over.
  agentSpoke_ = false;
  if (!firstMessageHeard_) {
    firstMessageHeard_ = true;
  } else if (!turns_.empty() && turns_.back().firstPacketNanos >= 0) {
    turns_.back().replied = true;
  }
}

void AgentCaller::onDisconnected(const std::string& reason) {
  if (!left_) fail("disconnected: " + reason);
}

void AgentCaller::onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) {
  if (track.kind != rtc::MediaKind::Audio || turns_.empty() || turns_.back().speechEndNanos == 0) return;
  auto& turn = turns_.back();
  if (turn.firstAudibleNanos >= 0) return;  // nothing more to measure: no decoding
  const int64_t now = steadyNanos();
  if (turn.firstPacketNanos < 0) turn.firstPacketNanos = now;
  const int samples = decoder_->decode(packet.payload(), pcm_);
  if (samples > 0 && rms(pcm_.data(), static_cast<size_t>(samples)) > kSpeechRms) turn.firstAudibleNanos = now;
}

void AgentCaller::speakAt(int64_t atNanos) {
  speakAtNanos_ = atNanos;
  turns_.emplace_back();
}

void AgentCaller::tick(int64_t nowNanos) {
  if (!microphone_ || !microphone_->live() || left_) return;
  if (nextFrameNanos_ == 0) nextFrameNanos_ = nowNanos;
  if (nowNanos - nextFrameNanos_ > kMaxCatchUpNanos) nextFrameNanos_ = nowNanos;
  while (nextFrameNanos_ <= nowNanos) {
    sendFrame(nextFrameNanos_);
    nextFrameNanos_ += kFrameNanos;
  }
}

void AgentCaller::sendFrame(int64_t frameNanos) {
  const auto& prompt = *context_.prompt;
  if (!speaking_ && speakAtNanos_ >= 0 && frameNanos >= speakAtNanos_) {
    speaking_ = true;
    speakAtNanos_ = -1;
    promptFrame_ = 0;
  }
  if (!speaking_) {
    microphone_->sendOpus(prompt.silence, rtc::kOpusFrameSamples);
    return;
  }
  microphone_->sendOpus(prompt.frames[promptFrame_], rtc::kOpusFrameSamples);
  if (++promptFrame_ == prompt.speechFrames) {
    // The last voiced frame's audio ends one frame after its slot starts
    // (a receiver cannot have heard it end sooner).
    auto& turn = turns_.back();
    const int64_t now = steadyNanos();
    turn.speechEndNanos = frameNanos + kFrameNanos;
    turn.speechEndUnixMs = common::unixMillis() + (turn.speechEndNanos - now) / 1'000'000;
  }
  if (promptFrame_ >= prompt.frames.size()) speaking_ = false;
}

void AgentCaller::fetchStoredTurns(std::function<void()> done) {
  if (conversationId_.empty()) return done();
  common::httpRequest(*context_.io, "GET", context_.httpUrl + "/v1/conversations/" + conversationId_ + "/turns",
                      {{"authorization", "Bearer " + context_.apiKey}}, {}, 20s,
                      [this, done = std::move(done)](common::HttpClientResult result) {
                        boost::system::error_code ec;
                        const auto parsed =
                            result.status == 200 ? boost::json::parse(result.body, ec) : boost::json::value();
                        const auto* list = parsed.is_object() ? parsed.as_object().if_contains("turns") : nullptr;
                        if (!list || !list->is_array()) {
                          fail("GET turns: " + (result.status ? std::to_string(result.status) : result.error));
                          return done();
                        }
                        std::vector<TurnStages> stored;
                        for (const auto& t : list->as_array()) {
                          if (!t.is_object()) continue;
                          if (auto s = turnStages(t.as_object())) stored.push_back(*s);
                        }
                        // Each spoken prompt's stored turn is the one whose user speech
                        // ended nearest its end (the worker's VAD and our clock differ by
                        // the uplink and jitter buffer, tens of ms, far less than a turn).
                        for (auto& turn : turns_) {
                          const TurnStages* best = nullptr;
                          for (const auto& s : stored) {
                            const auto gap = std::llabs(s.userSpeechEnd - turn.speechEndUnixMs);
                            if (gap < 3000 && (!best || gap < std::llabs(best->userSpeechEnd - turn.speechEndUnixMs)))
                              best = &s;
                          }
                          if (best) turn.stored = *best;
                        }
                        done();
                      });
}

}  // namespace convox::bench

#pragma once

// One simulated caller: starts a call through the control API
// (POST /v1/calls with the agent's id), joins the call's room with the
// client library, listens to the agent's first message to its end
// (lk.agent.state speaking -> listening), then, whenever told, speaks the
// prompt in real time and measures from the end of its speech to the
// agent's first audio packet (RTP arrival) and to the first one with audible
// energy (decoded). After the call it reads the stored turns for the
// worker's own per-stage timestamps. Runs on the load tool's one thread.

#include "client/room.hpp"
#include "prompt_audio.hpp"
#include "rtc/opus_codec.hpp"
#include "turn_stages.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convox::bench {

struct CallerContext {
  // Passed by argument (all outlive the callers).
  rtc::EventLoop* loop = nullptr;
  boost::asio::io_context* io = nullptr;
  const PromptAudio* prompt = nullptr;
  // Others.
  std::string httpUrl;  // the control API (and, as ws://, the signal URL unless the call names one)
  std::string apiKey;   // control API key
  std::string agentId;
  std::string iceAddress;
  std::shared_ptr<const rtc::DtlsCertificate> certificate;
};

// One spoken prompt and what came back.
struct CallerTurn {
  int64_t speechEndNanos = 0;      // steady clock: the end of the prompt's last voiced frame
  int64_t speechEndUnixMs = 0;     // the same instant on the wall clock, to find the stored turn
  int64_t firstPacketNanos = -1;   // the agent's first RTP packet after it
  int64_t firstAudibleNanos = -1;  // its first packet whose decoded audio is above kSpeechRms
  bool replied = false;            // the agent spoke and went back to listening
  std::optional<TurnStages> stored;
};

class AgentCaller final : public client::RoomListener {
 public:
  AgentCaller(CallerContext& context, std::string identity);
  ~AgentCaller() override;
  AgentCaller(const AgentCaller&) = delete;
  AgentCaller& operator=(const AgentCaller&) = delete;

  void start();  // POST /v1/calls, then join
  void leave();
  // Every few milliseconds: the microphone's 20 ms frames.
  void tick(int64_t nowNanos);
  // Starts speaking the prompt at `atNanos` (steady clock).
  void speakAt(int64_t atNanos);
  // Reads the stored turns and matches them to turns(); `done` once.
  void fetchStoredTurns(std::function<void()> done);

  bool heardFirstMessage() const { return firstMessageHeard_; }
  // The last speakAt's reply is complete (or it failed).
  bool turnDone() const {
    return speakAtNanos_ < 0 && !speaking_ && (turns_.empty() || turns_.back().replied || failed());
  }
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  const std::string& identity() const { return identity_; }
  const std::vector<CallerTurn>& turns() const { return turns_; }
  void fail(const std::string& reason);

 private:
  void join(const std::string& url, const std::string& token);
  void onJoined(const livekit::JoinResponse& join) override;
  void onSignal(const livekit::SignalResponse& message) override;
  void onDisconnected(const std::string& reason) override;
  void onRtp(const client::RemoteTrack& track, const rtc::RtpPacketView& packet) override;
  void onAgentState(const std::string& state);
  void sendFrame(int64_t nowNanos);

  // Passed by argument.
  CallerContext& context_;
  // Allocated by this.
  std::unique_ptr<client::Room> room_;
  std::unique_ptr<rtc::OpusFrameDecoder> decoder_;
  // Others.
  const std::string identity_;
  client::LocalAudioTrack* microphone_ = nullptr;  // owned by room_
  std::string conversationId_;
  std::string failure_;
  std::string agentState_;
  bool agentSpoke_ = false;  // "speaking" seen since the last reset
  bool firstMessageHeard_ = false;
  bool left_ = false;
  int64_t nextFrameNanos_ = 0;
  int64_t speakAtNanos_ = -1;
  bool speaking_ = false;
  size_t promptFrame_ = 0;
  std::vector<CallerTurn> turns_;
  std::vector<int16_t> pcm_ = std::vector<int16_t>(rtc::kOpusFrameSamples * 6);  // up to 120 ms
};

}  // namespace convox::bench

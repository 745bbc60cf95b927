#pragma once

// One call's voice cascade on its media thread, driven by a 20 ms tick:
//   user RTP -> jitter buffer -> 48->16 kHz -> VAD -> STT (compute pool)
//   -> turn -> language model -> sentence chunker -> TTS (compute pool)
//   -> audio-out queue -> Opus -> RTP, paced one frame per tick.
// Barge-in (voice::BargeIn decides): the agent's audio pauses as soon as
// the VAD hears the user while it speaks; once the speech lasts
// min_interruption_duration (and has min_interruption_words) the queued
// audio is flushed and LLM/TTS cancelled, and the turn is stored with the
// words actually played; speech that stops sooner (a cough, a click)
// resumes the sentence where it paused.
// Nothing on the tick allocates per frame or blocks; recognition and
// synthesis are asynchronous services (voice/stt_service.hpp,
// tts_service.hpp): a network provider's client on the call's io_context,
// or a local engine on the shared compute pool.

#include "agent_config/agent_settings.hpp"
#include "captions.hpp"
#include "conversation_so_far.hpp"
#include "rtc/event_loop.hpp"
#include "voice/audio_out_queue.hpp"
#include "voice/barge_in.hpp"
#include "voice/compute_pool.hpp"
#include "voice/language_model.hpp"
#include "voice/opus_jitter_buffer.hpp"
#include "voice/provider_usage.hpp"
#include "voice/resampler.hpp"
#include "voice/sentence_chunker.hpp"
#include "voice/spoken_text.hpp"
#include "voice/stt_service.hpp"
#include "voice/tts_service.hpp"
#include "voice/voice_activity_detector.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace convox::worker {

// What a provider was used for, summed over an agent turn (or the call's end):
// LLM tokens as the stream reported them (estimated for a reply cut before
// its usage came), characters synthesised, seconds of audio recognised.
struct UsageReport {
  std::string stage;  // stt | llm | tts
  std::string provider;
  std::string model;
  std::string unit;  // audio_seconds | input_tokens | output_tokens | characters
  double quantity = 0;
  // An estimate, not the provider's count (a reply cut by barge-in): summed
  // apart from the measured quantity of the same unit and posted as a record
  // of its own, marked estimated.
  bool estimated = false;
};

// What the call session gives the cascade.
struct VoiceAgentHooks {
  std::function<void(const std::string& state)> setState;  // lk.agent.state
  std::function<bool(std::span<const uint8_t> opus, bool marker)> sendOpus;
  std::function<void(uint32_t samples)> skipAudio;  // a tick with nothing to send
  std::function<void(boost::json::object turn)> postTurn;
  std::function<void(const std::string& reason)> endCall;              // after the last words are played
  std::function<void(const boost::json::object& results)> setResults;  // the result fields so far
  std::function<void(const UsageReport& usage)> usage;
  std::function<void(const std::string& error)> fail;  // the cascade cannot run: the call fails
  std::function<bool()> outputReady;                   // the microphone is live and data can be sent
  CaptionPublisher* captions = nullptr;
  std::string agentIdentity;
  std::function<std::string()> agentTrackSid;
  std::function<std::string()> userIdentity;
  std::function<std::string()> userTrackSid;
};

// The call's providers. A null stt or tts gets the offline engine the
// agent's settings name (PocketSphinx, espeak-ng, or the benchmark's).
struct VoiceProviders {
  std::unique_ptr<voice::LanguageModel> model;
  std::unique_ptr<voice::SttService> stt;
  std::unique_ptr<voice::TtsService> tts;
};

// A provider failed and the next one of its stage took over (or none was
// left): logged, counted, and stored on the next agent turn.
struct ProviderEvent {
  std::string stage;     // stt | llm | tts
  std::string provider;  // the one that failed
  std::string event;     // error | timeout | fallback
  std::string reason;
  std::string to;  // fallback: the provider that took over
};

struct VoiceAgentStats {
  uint64_t framesIn = 0;
  uint64_t framesOut = 0;
  uint64_t userTurns = 0;
  uint64_t agentTurns = 0;
  uint64_t interruptions = 0;
  uint64_t falseInterruptions = 0;
  uint64_t pauses = 0;  // barge-in onsets that paused the agent's audio
  uint64_t sttErrors = 0;
  uint64_t ttsErrors = 0;
  uint64_t softTimeouts = 0;  // fillers said while the model was slow
};

class VoiceAgent final : voice::VadListener, voice::AudioOutListener {
 public:
  VoiceAgent(rtc::EventLoop& loop, voice::ComputePool& pool, agent_config::AgentSettings settings,
             std::map<std::string, std::string> parameters, bool outbound, VoiceAgentHooks hooks);
  ~VoiceAgent() override;
  VoiceAgent(const VoiceAgent&) = delete;
  VoiceAgent& operator=(const VoiceAgent&) = delete;

  // Builds the stages; false with the reason if one cannot be made.
  bool init(VoiceProviders providers, std::string& error);
  bool init(std::unique_ptr<voice::LanguageModel> model, std::string& error) {
    VoiceProviders providers;
    providers.model = std::move(model);
    return init(std::move(providers), error);
  }
  // Where the services made for this agent report usage and provider
  // events; safe to call after the agent is gone (they are dropped).
  voice::UsageSink usageSink();
  std::function<void(const ProviderEvent& event)> eventSink();
  // Before start(): a re-dispatched job continues the stored conversation.
  // The model sees its history, the results collected so far stay, turn ids
  // go on after the stored ones, and the first message is not said again;
  // a user turn left unanswered is answered once the output is ready.
  void resume(ConversationSoFar soFar);
  // Starts the tick and says the first message (unless resumed).
  void start();
  void stop();

  void onUserAudio(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload);
  // Typed input (lk.chat): a user turn without audio.
  void onUserText(const std::string& text);
  const VoiceAgentStats& stats() const { return stats_; }

 private:
  // voice::VadListener
  void onSpeechStart(int64_t startMs) override;
  void onSpeechEnd(int64_t endMs, int64_t detectedMs) override;
  // voice::AudioOutListener
  void onPlayoutEnded(uint64_t utteranceId, int64_t playedMs, bool interrupted) override;

  void tick();
  void sayFirstMessage();
  void pullInbound();
  void pushOutbound();
  void housekeeping(int64_t nowMs);
  void finishUtterance();
  void onTranscript(voice::SttResult result, bool decidesBargeIn);
  void onSttFailure(const std::string& error);
  void act(voice::BargeInAction action);
  void respond(const std::string& userText);
  void say(const std::string& text, bool fromModel);
  void sayFromModel(std::string_view sentence);
  void synthesizeNext();
  void endSpeech(uint64_t utteranceId);
  void interrupt();
  void finishReply(const std::string& error);
  void postUserTurn(const voice::SttResult& result, const std::string& text);
  void postAgentTurn(bool interrupted, int64_t playedMs);
  void doAction(const voice::ModelAction& action);
  std::string render(const std::string& text) const;
  void addUsage(const voice::ProviderUsage& usage);
  void flushUsage();
  struct UserTimes;
  static boost::json::object userTimings(const UserTimes& t);
  static UserTimes userTimesFrom(const boost::json::object& timings);
  int64_t nowMs() const;

  // Passed by argument.
  rtc::EventLoop& loop_;
  voice::ComputePool& pool_;
  const agent_config::AgentSettings settings_;
  const std::map<std::string, std::string> parameters_;
  const bool outbound_;
  VoiceAgentHooks hooks_;
  // Allocated by this.
  std::unique_ptr<voice::OpusJitterBuffer> jitter_;
  std::unique_ptr<voice::Resampler> downsampler_;
  std::unique_ptr<voice::VoiceActivityDetector> vad_;
  std::unique_ptr<voice::SttService> stt_;
  std::unique_ptr<voice::TtsService> tts_;
  std::unique_ptr<voice::AudioOutQueue> out_;
  std::unique_ptr<voice::LanguageModel> model_;
  voice::SentenceChunker chunker_;
  voice::BargeIn bargeIn_;
  voice::SpokenText spoken_;  // the current utterance's text, with where its audio is
  // Others.
  std::array<int16_t, rtc::kOpusFrameSamples> pcm48_{};
  std::array<int16_t, 400> pcm16_{};
  std::vector<int16_t> preRoll_;  // the last 300 ms at 16 kHz, a ring: the VAD decides late
  size_t preRollAt_ = 0;
  std::vector<uint8_t> packet_ = std::vector<uint8_t>(rtc::kOpusMaxPacketBytes);
  std::deque<std::string> toSpeak_;  // sentences waiting for synthesis
  std::vector<voice::ChatMessage> history_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  uint32_t timer_ = 0;
  uint32_t softTimer_ = 0;  // soft_timeout_seconds of the reply being generated
  std::chrono::steady_clock::time_point started_;
  uint64_t ticks_ = 0;
  uint64_t generation_ = 0;  // bumped by barge-in: stale pool results are dropped
  uint64_t utteranceId_ = 0;
  bool userSpeaking_ = false;
  bool userAudio_ = false;  // a user track is flowing
  bool inUtterance_ = false;
  int sttPending_ = 0;                 // utterances finished whose transcript has not come
  uint64_t utterances_ = 0;            // speech starts heard, so a late transcript knows if another began
  uint64_t interruptedByInterim_ = 0;  // the utterance whose interim transcript made the barge-in
  int sttFailures_ = 0;                // consecutive utterances the recognizer failed on
  int ttsFailures_ = 0;                // consecutive sentences that failed without audio
  bool ttsBusy_ = false;
  bool replying_ = false;       // model or TTS still producing this reply
  bool agentSpeaking_ = false;  // frames of the current reply have been sent
  bool endAfterReply_ = false;
  bool stopped_ = false;
  std::string endReason_;
  std::string agentSegment_;
  std::string replyText_;          // everything the model produced for this reply
  std::string replySpoken_;        // its complete sentences, handed to TTS
  std::string lastSaid_;           // what the listener heard of the last utterance
  int64_t utteranceSamples_ = 0;   // audio queued for the current utterance (48 kHz)
  int64_t utterancePlayed_ = 0;    // of it sent (48 kHz), for the caption
  int64_t utteranceHistory_ = -1;  // its entry in history_, once there
  // A user turn's stage times (wall ms, -1 = none): `heard_` is the speech
  // in progress or last heard, `answered_` the turn the reply answers (the
  // agent turn's user-side timings).
  struct UserTimes {
    int64_t speechStart = -1;
    int64_t speechEnd = -1;
    int64_t vadEnd = -1;
    int64_t sttFinal = -1;
  };
  UserTimes heard_;
  UserTimes answered_;
  int64_t llmFirstTokenMs_ = -1;
  int64_t ttsFirstAudioMs_ = -1;
  int64_t firstPacketOutMs_ = -1;
  int64_t lastFrameSentMs_ = -1;  // the agent's audio stopped here when it was cut
  int64_t lastActivityMs_ = 0;    // user speech or agent playout, for the silence timeouts
  bool stillThereAsked_ = false;
  bool firstMessageSaid_ = false;
  std::string unanswered_;                 // resumed: the stored user turn the agent was cut off before answering
  boost::json::object unansweredTimings_;  // its stored timings, for the answer's turn
  uint64_t turnCounter_ = 0;
  bool discardUtterance_ = false;  // a false interruption: not a turn
  boost::json::object results_;
  std::string ttsProvider_;  // of the sentence being synthesised, for the agent turn
  std::string sttProvider_;  // that transcribed the user turn being answered
  std::string llmProvider_;
  std::vector<ProviderEvent> events_;  // not yet stored on a turn
  // Not yet reported, by (stage, provider, model, unit, estimated).
  std::map<std::tuple<std::string, std::string, std::string, std::string, bool>, double> usage_;
  VoiceAgentStats stats_;
};

}  // namespace convox::worker

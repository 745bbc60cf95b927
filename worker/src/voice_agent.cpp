#include "voice_agent.hpp"

#include "agent_config/placeholders.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"
#include "local_services.hpp"
#include "voice/text_clip.hpp"
#include "voice/webrtc_vad.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace convox::worker {

namespace {

constexpr std::chrono::milliseconds kFrame{20};
constexpr size_t kPreRollSamples = size_t{16000} * 3 / 10;  // 300 ms at 16 kHz
constexpr const char* kApology = "Sorry, I am having trouble answering right now.";
constexpr const char* kStillThere = "Are you still there?";
constexpr const char* kNotHeard = "Sorry, I didn't catch that. Could you say it again?";
// soft_timeout_seconds: said when the model has not begun its answer by then.
constexpr const char* kSoftTimeoutFiller = "One moment, please.";

// The agent document's interruption_handling, as barge-in acts on it.
voice::BargeInSettings bargeInSettings(const agent_config::TurnTaking& t) {
  voice::BargeInSettings b;
  b.enabled = t.interruptionsEnabled;
  b.pauseAtOnset = t.resumeFalseInterruption;
  b.minDurationMs = t.minInterruptionDurationMs;
  b.minWords = t.minInterruptionWords;
  b.falseInterruptionTimeoutMs = t.falseInterruptionTimeoutMs;
  return b;
}

// The control API takes provider ids of letters, digits, '_' and '-'
// ("llama.cpp" is stored as "llama-cpp"), and reasons of at most 500 bytes
// (clipText at 480 and its "...").
std::string providerId(std::string name) {
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '-';
  }
  return name.substr(0, 64);
}

const char* actionName(voice::BargeInAction a) {
  switch (a) {
    case voice::BargeInAction::Pause:
      return "paused";
    case voice::BargeInAction::Resume:
      return "resumed (a false interruption)";
    case voice::BargeInAction::Interrupt:
      return "interrupted";
    default:
      return "";
  }
}

}  // namespace

VoiceAgent::VoiceAgent(rtc::EventLoop& loop, voice::ComputePool& pool, agent_config::AgentSettings settings,
                       std::map<std::string, std::string> parameters, bool outbound, VoiceAgentHooks hooks)
    : loop_(loop),
      pool_(pool),
      settings_(std::move(settings)),
      parameters_(std::move(parameters)),
      outbound_(outbound),
      hooks_(std::move(hooks)),
      bargeIn_(bargeInSettings(settings_.turns)) {
  preRoll_.assign(kPreRollSamples, 0);
}

VoiceAgent::~VoiceAgent() { stop(); }

bool VoiceAgent::init(VoiceProviders providers, std::string& error) {
  model_ = std::move(providers.model);
  llmProvider_ = settings_.llm.provider;
  jitter_ = voice::OpusJitterBuffer::create({}, error);
  if (!jitter_) return false;
  downsampler_ = voice::Resampler::create(48000, voice::kSttSampleRate, error);
  if (!downsampler_) return false;
  voice::VadSettings vad;
  vad.silenceMs = static_cast<int>(settings_.turns.vadMinSilenceMs);
  vad.minSpeechMs = std::max(vad.minSpeechMs, static_cast<int>(settings_.turns.vadMinSpeechMs));
  vad_ = voice::WebRtcVad::create(voice::kSttSampleRate, vad, error);
  if (!vad_) return false;
  out_ = voice::AudioOutQueue::create({}, *this, error);
  if (!out_) return false;
  stt_ = std::move(providers.stt);
  tts_ = std::move(providers.tts);
  if (!stt_ || !tts_) {
    std::weak_ptr<bool> alive = alive_;
    LocalServiceContext local{
        pool_,
        [&loop = loop_](voice::ComputePool::Task task) { loop.post(std::move(task)); },
        usageSink(),
        [this, alive](const std::string& reason) {
          // A call that can neither hear nor speak is over, not silent.
          if (const auto live = alive.lock(); live && *live && hooks_.fail) hooks_.fail(reason);
        },
    };
    if (!stt_) stt_ = makeLocalStt(settings_, local);
    if (!tts_) tts_ = makeLocalTts(settings_, local);
  }
  // With min_interruption_words a streaming recognizer's interims decide
  // the barge-in as soon as enough words are heard.
  stt_->setInterimHandler([this, alive = std::weak_ptr<bool>(alive_)](const voice::SttResult& interim) {
    if (const auto live = alive.lock(); !live || !*live) return;
    const auto action = bargeIn_.onInterimTranscript(interim.text);
    if (action == voice::BargeInAction::Interrupt) interruptedByInterim_ = utterances_;
    act(action);
  });
  stt_->warm();
  if (model_) model_->warm();
  tts_->warm();
  return true;
}

voice::UsageSink VoiceAgent::usageSink() {
  std::weak_ptr<bool> alive = alive_;
  return [this, alive](const voice::ProviderUsage& u) {
    // Spent even after the call stopped (a socket's last seconds): still counted.
    if (alive.expired()) return;
    addUsage(u);
    if (stopped_) flushUsage();
  };
}

std::function<void(const ProviderEvent&)> VoiceAgent::eventSink() {
  std::weak_ptr<bool> alive = alive_;
  return [this, alive](const ProviderEvent& e) {
    if (alive.expired()) return;
    common::logger("worker")->warn("voice agent: {} provider {} {}{}: {}", e.stage, e.provider, e.event,
                                   e.to.empty() ? "" : " -> " + e.to, e.reason);
    events_.push_back(e);
  };
}

void VoiceAgent::resume(ConversationSoFar soFar) {
  for (auto& [key, value] : soFar.results) results_[key] = std::move(value);
  turnCounter_ = std::max(turnCounter_, soFar.lastTurnNumber);
  if (!soFar.resumed()) return;
  // The caller heard the greeting already. The agent says nothing rather
  // than "Sorry, we were cut off": a LiveKit agent given its chat context
  // back speaks first only if its code asks (generate_reply), and a caller
  // who may already be talking again is not talked over. The history tells
  // the model what was said.
  firstMessageSaid_ = true;
  history_ = std::move(soFar.history);
  unanswered_ = std::move(soFar.unanswered);
  unansweredTimings_ = std::move(soFar.unansweredTimings);
}

void VoiceAgent::start() {
  started_ = std::chrono::steady_clock::now();
  lastActivityMs_ = nowMs();
  timer_ = loop_.addTimer(kFrame, [this] { tick(); });
}

void VoiceAgent::sayFirstMessage() {
  firstMessageSaid_ = true;
  const std::string& first = outbound_ ? settings_.firstMessage.outbound : settings_.firstMessage.inbound;
  if (first.empty()) return;
  say(render(first), false);
  history_.push_back({"assistant", render(first), {}});
  utteranceHistory_ = static_cast<int64_t>(history_.size()) - 1;
}

void VoiceAgent::stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  if (timer_) loop_.cancelTimer(std::exchange(timer_, 0));
  if (softTimer_) loop_.cancelTimer(std::exchange(softTimer_, 0));
  if (tts_) tts_->cancel();
  if (model_) model_->cancel();
  if (stt_) stt_->cancel();
  // Connections close and report their last usage (Deepgram bills the
  // socket's lifetime up to here).
  if (stt_) stt_->close();
  if (tts_) tts_->close();
  flushUsage();
}

void VoiceAgent::addUsage(const voice::ProviderUsage& u) {
  if (u.quantity > 0) usage_[{u.stage, providerId(u.provider), u.model, u.unit, u.estimated}] += u.quantity;
}

void VoiceAgent::flushUsage() {
  if (hooks_.usage) {
    for (const auto& [key, quantity] : usage_) {
      const auto& [stage, provider, model, unit, estimated] = key;
      hooks_.usage({stage, provider, model, unit, quantity, estimated});
    }
  }
  usage_.clear();
}

int64_t VoiceAgent::nowMs() const { return common::unixMillis(); }

std::string VoiceAgent::render(const std::string& text) const {
  return agent_config::renderPlaceholders(text, parameters_);
}

void VoiceAgent::onUserAudio(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload) {
  userAudio_ = true;
  jitter_->push(ssrc, sequence, timestamp, payload);
}

void VoiceAgent::tick() {
  timer_ = 0;
  if (stopped_) return;
  // Paced from the start time, not from the last timer: GLib timers drift.
  ++ticks_;
  auto due = started_ + kFrame * static_cast<int64_t>(ticks_ + 1);
  const auto now = std::chrono::steady_clock::now();
  if (now - due > std::chrono::milliseconds(200)) {  // a stalled machine: skip ahead, don't burst
    ticks_ = static_cast<uint64_t>((now - started_) / kFrame);
    due = started_ + kFrame * static_cast<int64_t>(ticks_ + 1);
  }
  pullInbound();
  // Nothing is said before the microphone is live and its captions can go
  // out: the first words would be lost.
  const bool outputReady = !hooks_.outputReady || hooks_.outputReady();
  if (outputReady && !firstMessageSaid_) sayFirstMessage();
  // Not while the user speaks or is being transcribed: a new turn replaces it.
  if (outputReady && !unanswered_.empty() && !replying_ && !inUtterance_ && sttPending_ == 0) {
    // The answer's turn carries the stored user turn's timings, as a live
    // answer carries the turn it answers.
    answered_ = userTimesFrom(unansweredTimings_);
    respond(std::exchange(unanswered_, {}));
  }
  if (!toSpeak_.empty()) synthesizeNext();
  if (outputReady) {
    pushOutbound();
  } else {
    hooks_.skipAudio(rtc::kOpusFrameSamples);
  }
  if (ticks_ % 50 == 0) housekeeping(nowMs());
  if (stopped_) return;
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - std::chrono::steady_clock::now());
  timer_ = loop_.addTimer(std::max(wait, std::chrono::milliseconds(0)), [this] { tick(); });
}

void VoiceAgent::pullInbound() {
  if (!userAudio_) return;
  // Silence (not started, or DTX gaps) is fed as zeros: the VAD needs the
  // time to pass to hear the end of speech.
  if (jitter_->pull(pcm48_) == voice::JitterFrame::Silence) std::fill(pcm48_.begin(), pcm48_.end(), 0);
  ++stats_.framesIn;
  const size_t n = downsampler_->process(pcm48_, pcm16_);
  const std::span<const int16_t> frame(pcm16_.data(), n);
  for (const auto sample : frame) {
    preRoll_[preRollAt_] = sample;
    preRollAt_ = (preRollAt_ + 1) % preRoll_.size();
  }
  vad_->process(frame, *this);
  // Barge-in follows the VAD's frames, not only its events: a click ends
  // long before the VAD's speech end (its silence threshold) says so.
  act(bargeIn_.onAudio(vad_->streamMs(), vad_->lastVoicedEndMs()));
  if (inUtterance_) stt_->push(frame);
}

void VoiceAgent::onSpeechStart(int64_t startMs) {
  userSpeaking_ = true;
  inUtterance_ = true;
  discardUtterance_ = false;
  lastActivityMs_ = nowMs();
  stillThereAsked_ = false;
  heard_ = {};
  heard_.speechStart = nowMs() - (vad_->streamMs() - startMs);
  ++utterances_;
  // The pre-roll holds the onset the VAD needed time to decide on.
  const std::span<const int16_t> ring(preRoll_);
  stt_->push(ring.subspan(preRollAt_));
  stt_->push(ring.first(preRollAt_));
  const bool agentTalking = agentSpeaking_ || out_->queuedMs() > 0 || replying_;
  common::logger("worker")->debug("voice agent: user speech from stream {} ms, reported at {} ms", startMs,
                                  vad_->streamMs());
  act(bargeIn_.onSpeechStart(startMs, agentTalking));
}

void VoiceAgent::act(voice::BargeInAction action) {
  if (action == voice::BargeInAction::None) return;
  common::logger("worker")->debug(
      "voice agent: barge-in: the agent's audio {} at user stream {} ms (voiced until {} ms)", actionName(action),
      vad_->streamMs(), vad_->lastVoicedEndMs());
  switch (action) {
    case voice::BargeInAction::Pause:
      out_->pause();
      ++stats_.pauses;
      break;
    case voice::BargeInAction::Resume:
      out_->resume();
      ++stats_.falseInterruptions;
      break;
    case voice::BargeInAction::Interrupt:
      interrupt();
      break;
    default:
      break;
  }
}

void VoiceAgent::onSpeechEnd(int64_t endMs, int64_t) {
  userSpeaking_ = false;
  lastActivityMs_ = nowMs();
  heard_.speechEnd = nowMs() - (vad_->streamMs() - endMs);
  heard_.vadEnd = nowMs();
  common::logger("worker")->debug("voice agent: user speech ended at stream {} ms, reported at {} ms", endMs,
                                  vad_->streamMs());
  act(bargeIn_.onSpeechEnd(vad_->streamMs()));
  // Too short to be an interruption (a cough, a click, "mhm"): the agent
  // carries on from where it paused, and this is not a turn.
  discardUtterance_ = bargeIn_.discardSpeech();
  inUtterance_ = false;
  finishUtterance();
}

void VoiceAgent::finishUtterance() {
  ++sttPending_;
  // With min_interruption_words the transcript decides the barge-in.
  const bool decides = bargeIn_.waitingForWords();
  const bool discardNow = discardUtterance_;
  const uint64_t utterance = utterances_;
  const std::string provider = stt_->provider();
  std::weak_ptr<bool> alive = alive_;
  voice::SttCallbacks callbacks;
  callbacks.onFinal = [this, alive, decides, discardNow, utterance, provider](voice::SttResult result,
                                                                              const std::string& error) {
    if (const auto live = alive.lock(); !live || !*live) return;
    --sttPending_;
    if (!error.empty()) {
      ++stats_.sttErrors;
      common::logger("worker")->warn("voice agent: speech recognition ({}) failed: {}", provider, error);
    }
    const bool byInterim = interruptedByInterim_ == utterance;
    if (byInterim) interruptedByInterim_ = 0;
    // A false interruption is not a turn: known at the speech end, or (with
    // min_interruption_words, or a late transcript) once the agent resumed
    // after the false-interruption timeout, as long as no newer speech began.
    const bool discard = discardNow || (utterance == utterances_ && bargeIn_.discardSpeech());
    if (discard) return;
    sttProvider_ = result.provider.empty() ? provider : result.provider;
    if (!error.empty() && result.text.empty()) return onSttFailure(error);
    sttFailures_ = 0;
    // An interim already had the words: this speech interrupted, and is a turn.
    onTranscript(std::move(result), decides && !byInterim);
  };
  stt_->finish(std::move(callbacks));
}

void VoiceAgent::onTranscript(voice::SttResult result, bool decidesBargeIn) {
  if (decidesBargeIn) {
    // Timed out already: the agent resumed and this speech is not a turn.
    if (!bargeIn_.waitingForWords()) return;
    act(bargeIn_.onTranscript(result.text));
    if (bargeIn_.discardSpeech()) return;
  }
  heard_.sttFinal = nowMs();
  if (result.text.empty()) return;
  unanswered_.clear();  // the user moved on: this is what to answer
  ++stats_.userTurns;
  if (hooks_.captions)
    hooks_.captions->userFinal(hooks_.userIdentity(), hooks_.userTrackSid(), result.text, settings_.language);
  postUserTurn(result, result.text);
  answered_ = heard_;
  history_.push_back({"user", result.text, {}});
  if (settings_.speechUncertainty.enabled && result.confidence < settings_.speechUncertainty.lowConfidenceThreshold) {
    say(render(settings_.speechUncertainty.lowConfidenceMessage), false);
    return;
  }
  respond(result.text);
}

void VoiceAgent::onSttFailure(const std::string& error) {
  // The caller spoke and nothing was heard: they are told, as a person on a
  // bad line would be; a recognizer that keeps failing ends the call rather
  // than leaving it deaf.
  constexpr int kMaxFailures = 3;
  if (++sttFailures_ >= kMaxFailures) {
    if (hooks_.fail) hooks_.fail("speech recognition failed " + std::to_string(sttFailures_) + " times: " + error);
    return;
  }
  if (!replying_ && toSpeak_.empty() && agentSegment_.empty()) say(kNotHeard, false);
}

void VoiceAgent::onUserText(const std::string& text) {
  if (text.empty()) return;
  sttProvider_.clear();  // typed: no recognizer served this turn
  unanswered_.clear();
  // Typing is an interruption like speech: whatever is playing, generating
  // or merely queued (perhaps paused by a barge-in that has not decided yet,
  // which reset() forgets) is cut, and the queue is never left paused.
  const bool agentBusy = agentSpeaking_ || replying_ || out_->paused() || out_->queuedMs() > 0 || ttsBusy_ ||
                         !toSpeak_.empty() || !agentSegment_.empty();
  bargeIn_.reset();
  if (agentBusy) interrupt();
  voice::SttResult typed;
  typed.text = text;
  typed.confidence = 1.0;
  const int64_t now = nowMs();
  heard_ = {now, now, now, now};
  answered_ = heard_;
  postUserTurn(typed, text);
  history_.push_back({"user", text, {}});
  respond(text);
}

void VoiceAgent::respond(const std::string&) {
  if (!model_) {
    say(render(settings_.dialog.fallbackReply), false);
    return;
  }
  replying_ = true;
  replyText_.clear();
  replySpoken_.clear();
  llmFirstTokenMs_ = -1;
  hooks_.setState("thinking");
  const uint64_t generation = generation_;
  std::weak_ptr<bool> alive = alive_;
  voice::ReplyCallbacks callbacks;
  callbacks.onText = [this, alive, generation](std::string_view delta) {
    if (const auto live = alive.lock(); !live || !*live || generation != generation_) return;
    if (llmFirstTokenMs_ < 0) llmFirstTokenMs_ = nowMs();
    replyText_ += delta;
    chunker_.push(delta, [this](std::string_view sentence) { sayFromModel(sentence); });
  };
  callbacks.onAction = [this, alive, generation](const voice::ModelAction& action) {
    if (const auto live = alive.lock(); !live || !*live || generation != generation_) return;
    doAction(action);
  };
  callbacks.onDone = [this, alive, generation](const voice::ModelUsage& usage, const std::string& error) {
    if (const auto live = alive.lock(); !live || !*live) return;
    // Tokens are spent whether or not the reply is still wanted.
    if (!usage.provider.empty()) llmProvider_ = usage.provider;
    addUsage({"llm", usage.provider, usage.model, "input_tokens", static_cast<double>(usage.inputTokens),
              usage.inputEstimated});
    addUsage({"llm", usage.provider, usage.model, "output_tokens", static_cast<double>(usage.outputTokens),
              usage.outputEstimated});
    if (generation != generation_) return;
    // A reply cut by an error ends with the sentences already complete: the
    // fragment after them is not spoken (the apology follows).
    if (error.empty()) {
      chunker_.finish([this](std::string_view sentence) { sayFromModel(sentence); });
    } else {
      chunker_.reset();
    }
    finishReply(error);
  };
  model_->reply(history_, std::move(callbacks));
  if (settings_.timeouts.softTimeoutMs > 0) {
    if (softTimer_) loop_.cancelTimer(softTimer_);
    softTimer_ = loop_.addTimer(std::chrono::milliseconds(settings_.timeouts.softTimeoutMs), [this, alive, generation] {
      if (const auto live = alive.lock(); !live || !*live) return;
      softTimer_ = 0;
      // Still thinking and nothing said yet for this reply: the caller hears
      // that the agent is there (not added to the history: the model's
      // answer follows it in the same utterance).
      if (generation != generation_ || !replying_ || llmFirstTokenMs_ >= 0 || !toSpeak_.empty()) return;
      ++stats_.softTimeouts;
      say(kSoftTimeoutFiller, false);
    });
  }
}

void VoiceAgent::finishReply(const std::string& error) {
  replying_ = false;
  if (!error.empty()) {
    common::logger("worker")->warn("voice agent: the language model failed: {}", error);
    // The caller hears why the answer stopped, and the history holds what
    // was said rather than the model's cut-off text.
    say(kApology, false);
    replyText_ = replySpoken_.empty() ? std::string(kApology) : replySpoken_ + " " + kApology;
  }
  if (!replyText_.empty()) {
    history_.push_back({"assistant", replyText_, {}});
    utteranceHistory_ = static_cast<int64_t>(history_.size()) - 1;
  }
  replyText_.clear();  // in the history now: a barge-in corrects it there
  if (toSpeak_.empty() && !ttsBusy_) {
    if (utteranceId_ != 0) endSpeech(utteranceId_);
    if (endAfterReply_ && !agentSpeaking_ && out_->queuedMs() == 0 && hooks_.endCall) hooks_.endCall(endReason_);
  }
}

void VoiceAgent::sayFromModel(std::string_view sentence) {
  replySpoken_ += (replySpoken_.empty() ? "" : " ") + std::string(sentence);
  say(std::string(sentence), true);
}

void VoiceAgent::say(const std::string& text, bool) {
  if (text.empty()) return;
  if (agentSegment_.empty()) {
    ++utteranceId_;
    spoken_.clear();
    utteranceSamples_ = 0;
    utterancePlayed_ = 0;
    utteranceHistory_ = -1;
    ttsFirstAudioMs_ = -1;
    firstPacketOutMs_ = -1;
    lastFrameSentMs_ = -1;  // a cut before the first frame stopped nothing of this one
    if (hooks_.captions) agentSegment_ = hooks_.captions->agentBegin(hooks_.agentIdentity, hooks_.agentTrackSid());
  }
  toSpeak_.push_back(text);
  synthesizeNext();
}

void VoiceAgent::synthesizeNext() {
  // Synthesis runs far ahead of playout: keep at most a few seconds queued
  // (the tick asks again), so a long reply is never cut by the queue's cap.
  constexpr int64_t kMaxAheadMs = 5000;
  if (ttsBusy_ || toSpeak_.empty() || !tts_ || out_->queuedMs() > kMaxAheadMs) return;
  std::string text = std::move(toSpeak_.front());
  toSpeak_.pop_front();
  ttsBusy_ = true;
  const uint64_t generation = generation_;
  const uint64_t id = utteranceId_;
  const int64_t pieceStart = utteranceSamples_;  // the previous piece's audio is all queued
  ttsProvider_ = tts_->provider();
  std::weak_ptr<bool> alive = alive_;
  voice::TtsCallbacks callbacks;
  callbacks.onAudio = [this, alive, generation, id](std::span<const int16_t> pcm) {
    const auto live = alive.lock();
    if (!live || !*live || generation != generation_) return;
    if (ttsFirstAudioMs_ < 0) ttsFirstAudioMs_ = nowMs();
    const auto queued = static_cast<int64_t>(out_->push(id, pcm));
    if (id == utteranceId_) utteranceSamples_ += queued;
  };
  callbacks.onDone = [this, alive, text, generation, id, pieceStart](voice::TtsStats stats, const std::string& error) {
    if (const auto live = alive.lock(); !live || !*live) return;
    ttsBusy_ = false;
    if (generation != generation_) return synthesizeNext();
    if (!stats.provider.empty()) ttsProvider_ = stats.provider;
    if (!error.empty()) {
      // The rest of this sentence is not spoken; what was queued plays and
      // the reply goes on with its next sentence.
      ++stats_.ttsErrors;
      common::logger("worker")->warn("voice agent: speech synthesis ({}) failed: {}", ttsProvider_, error);
      // A synthesizer that produces nothing, again and again, leaves a mute
      // call: it fails instead.
      constexpr int kMaxSilentFailures = 3;
      if (utteranceSamples_ - pieceStart == 0 && ++ttsFailures_ >= kMaxSilentFailures && hooks_.fail) {
        hooks_.fail("speech synthesis failed " + std::to_string(ttsFailures_) + " times: " + error);
        return;
      }
    } else {
      ttsFailures_ = 0;
    }
    spoken_.add(text, pieceStart, utteranceSamples_ - pieceStart, std::move(stats.words));
    if (!toSpeak_.empty()) return synthesizeNext();
    if (!replying_) endSpeech(id);
  };
  tts_->synthesize(text, id, std::move(callbacks));
}

void VoiceAgent::endSpeech(uint64_t id) {
  out_->endUtterance(id);
  tts_->endUtterance(id);
  // Nothing of it was ever queued (every sentence failed): the queue knows
  // no such utterance and reports no playout end; it ends here, so the
  // caption closes and the next words start a new utterance.
  if (id == utteranceId_ && utteranceSamples_ == 0 && !agentSegment_.empty()) onPlayoutEnded(id, 0, false);
}

void VoiceAgent::interrupt() {
  ++stats_.interruptions;
  ++generation_;
  toSpeak_.clear();
  // Also between sentences: a provider with contexts closes the reply's.
  tts_->cancel();
  ttsBusy_ = false;
  // Whether a reply is being generated, not whether it has text yet: a reply
  // that has produced nothing has no history entry of its own.
  const bool modelReplying = replying_;
  const bool hadSegment = !agentSegment_.empty();
  // The user interrupted the goodbye: the agent listens again and the end
  // is cancelled (LiveKit's end_call waits for the speech; an interrupted
  // speech does not end the call). A time limit still ends it.
  if (endReason_ == "agent_ended") endAfterReply_ = false;
  if (replying_ && model_) model_->cancel();
  replying_ = false;
  chunker_.reset();
  lastSaid_.clear();
  out_->flush();  // reports the utterance's playout end, interrupted
  // Cut before its first audio was queued: the queue knew no utterance.
  if (!agentSegment_.empty()) onPlayoutEnded(utteranceId_, 0, true);
  out_->resume();
  // The history holds what the user heard, as LiveKit truncates it, and
  // only for the utterance this cut ended: a reply heard to its end before
  // keeps its text.
  if (hadSegment) {
    if (modelReplying) {
      if (!lastSaid_.empty()) history_.push_back({"assistant", lastSaid_, {}});
    } else if (utteranceHistory_ >= 0 && utteranceHistory_ < static_cast<int64_t>(history_.size())) {
      history_[static_cast<size_t>(utteranceHistory_)].content = lastSaid_;
    }
  }
  utteranceHistory_ = -1;
  replyText_.clear();
}

void VoiceAgent::pushOutbound() {
  int bytes = 0;
  // pull() reports an utterance's end while handing out its last frame:
  // that frame is not the start of another.
  const uint64_t endedBefore = stats_.agentTurns;
  const auto frame = out_->pull(packet_, bytes);
  if (frame == voice::AudioOutFrame::Sent) {
    const bool first = !agentSpeaking_ && stats_.agentTurns == endedBefore;
    if (first) {
      agentSpeaking_ = true;
      firstPacketOutMs_ = nowMs();
      hooks_.setState("speaking");
    }
    ++stats_.framesOut;
    lastFrameSentMs_ = nowMs();
    if (!agentSegment_.empty()) {
      // The caption follows the audio: each word as it starts playing.
      utterancePlayed_ += rtc::kOpusFrameSamples;
      if (hooks_.captions) hooks_.captions->agentText(agentSegment_, spoken_.takeUpTo(utterancePlayed_));
    }
    hooks_.sendOpus(std::span<const uint8_t>(packet_.data(), static_cast<size_t>(bytes)), first);
  } else {
    hooks_.skipAudio(rtc::kOpusFrameSamples);
  }
}

void VoiceAgent::onPlayoutEnded(uint64_t utteranceId, int64_t playedMs, bool interrupted) {
  if (utteranceId != utteranceId_) return;
  agentSpeaking_ = false;
  lastActivityMs_ = nowMs();
  if (hooks_.captions && !agentSegment_.empty()) {
    // Cut: the caption ends at the last word heard; otherwise all of it.
    hooks_.captions->agentText(agentSegment_, interrupted ? spoken_.takeUpTo(playedMs * 48) : spoken_.takeAll());
    hooks_.captions->agentEnd(agentSegment_);
  }
  agentSegment_.clear();
  // Heard to the end: its history entry is final, no later cut may touch it.
  if (!interrupted) utteranceHistory_ = -1;
  ++stats_.agentTurns;
  postAgentTurn(interrupted, playedMs);
  hooks_.setState(replying_ ? "thinking" : "listening");
  if (endAfterReply_ && !replying_ && toSpeak_.empty() && hooks_.endCall) hooks_.endCall(endReason_);
}

void VoiceAgent::doAction(const voice::ModelAction& action) {
  if (action.name == "end_call") {
    endAfterReply_ = true;
    endReason_ = "agent_ended";
  } else if (action.name == "set_results") {
    for (const auto& [key, value] : action.arguments) results_[key] = value;
    if (hooks_.setResults) hooks_.setResults(results_);
  } else if (action.name == "transfer") {
    // No telephony yet: the request is recorded as a result; the call goes on.
    results_["transfer_requested"] = true;
    if (const auto* to = action.arguments.if_contains("to")) results_["transfer_to"] = *to;
    if (hooks_.setResults) hooks_.setResults(results_);
  }
}

void VoiceAgent::housekeeping(int64_t now) {
  const int64_t elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
  if (settings_.timeouts.maxConversationMs > 0 && elapsed > settings_.timeouts.maxConversationMs && !endAfterReply_) {
    endAfterReply_ = true;
    endReason_ = "max_duration";
    if (!agentSpeaking_ && !replying_ && hooks_.endCall) hooks_.endCall(endReason_);
    return;
  }
  const bool idle = !agentSpeaking_ && !replying_ && !userSpeaking_ && toSpeak_.empty() && !ttsBusy_;
  if (!idle) return;
  const int64_t silent = now - lastActivityMs_;
  if (settings_.timeouts.endAfterSilenceMs > 0 && silent > settings_.timeouts.endAfterSilenceMs) {
    endReason_ = "silence_timeout";
    if (hooks_.endCall) hooks_.endCall(endReason_);
    return;
  }
  if (settings_.timeouts.turnAfterSilenceMs > 0 && silent > settings_.timeouts.turnAfterSilenceMs &&
      !stillThereAsked_) {
    stillThereAsked_ = true;
    say(kStillThere, false);
  }
}

void VoiceAgent::postUserTurn(const voice::SttResult& result, const std::string& text) {
  if (!hooks_.postTurn) return;
  boost::json::object turn{{"turn_id", "u" + std::to_string(++turnCounter_) + "_" + common::newId("")},
                           {"role", "user"},
                           {"text", text},
                           {"started_at", heard_.speechStart > 0 ? heard_.speechStart : nowMs()},
                           {"interrupted", false},
                           {"confidence", std::clamp(result.confidence, 0.0, 1.0)}};
  turn["timings"] = userTimings(heard_);
  if (!sttProvider_.empty()) turn["providers"] = {{"stt", providerId(sttProvider_)}};
  hooks_.postTurn(std::move(turn));
}

void VoiceAgent::postAgentTurn(bool interrupted, int64_t playedMs) {
  // What the listener heard: all of it, or the words begun before the cut.
  lastSaid_ = interrupted ? spoken_.upTo(playedMs * 48) : spoken_.all();
  if (!hooks_.postTurn || spoken_.empty()) return;
  boost::json::object turn{{"turn_id", "a" + std::to_string(++turnCounter_) + "_" + common::newId("")},
                           {"role", "agent"},
                           {"text", lastSaid_},
                           {"started_at", firstPacketOutMs_ > 0 ? firstPacketOutMs_ : nowMs()},
                           {"interrupted", interrupted}};
  // The whole exchange on the agent's turn: the user turn it answers
  // included (none for a first message).
  boost::json::object timings = userTimings(answered_);
  if (llmFirstTokenMs_ > 0) timings["llm_first_token"] = llmFirstTokenMs_;
  if (ttsFirstAudioMs_ > 0) timings["tts_first_audio"] = ttsFirstAudioMs_;
  if (firstPacketOutMs_ > 0) timings["first_packet_out"] = firstPacketOutMs_;
  // Cut: when its audio stopped, i.e. the last frame sent before the pause
  // that became the interruption (the interrupting speech's start is on
  // the user turn that follows).
  timings["playout_end"] = interrupted && lastFrameSentMs_ > 0 ? lastFrameSentMs_ : nowMs();
  turn["timings"] = std::move(timings);
  boost::json::object providers;
  if (answered_.speechStart > 0 && !sttProvider_.empty()) providers["stt"] = providerId(sttProvider_);
  if (llmFirstTokenMs_ > 0 && !llmProvider_.empty()) providers["llm"] = providerId(llmProvider_);
  if (!ttsProvider_.empty()) providers["tts"] = providerId(ttsProvider_);
  turn["providers"] = std::move(providers);
  if (!events_.empty()) {
    boost::json::array events;
    auto pending = std::exchange(events_, {});
    // The turn stores the latest ones (a provider flapping all turn long).
    constexpr size_t kMaxEvents = 16;
    if (pending.size() > kMaxEvents) pending.erase(pending.begin(), pending.end() - kMaxEvents);
    for (auto& e : pending) {
      boost::json::object o{{"stage", e.stage},
                            {"provider", providerId(e.provider)},
                            {"event", e.event},
                            {"reason", voice::clipText(e.reason, 480)}};
      if (!e.to.empty()) o["to"] = providerId(e.to);
      events.push_back(std::move(o));
    }
    turn["provider_events"] = std::move(events);
  }
  hooks_.postTurn(std::move(turn));
  flushUsage();
  // The next agent turn answers a new user turn (or none).
  answered_ = {};
  llmFirstTokenMs_ = -1;
}

VoiceAgent::UserTimes VoiceAgent::userTimesFrom(const boost::json::object& timings) {
  const auto at = [&](const char* name) -> int64_t {
    const auto* v = timings.if_contains(name);
    if (v == nullptr || !v->is_number()) return -1;
    boost::system::error_code ec;
    const auto n = v->to_number<int64_t>(ec);
    return ec ? -1 : n;
  };
  return {at("user_speech_start"), at("user_speech_end"), at("vad_end"), at("stt_final")};
}

boost::json::object VoiceAgent::userTimings(const UserTimes& t) {
  boost::json::object timings;
  if (t.speechStart > 0) timings["user_speech_start"] = t.speechStart;
  if (t.speechEnd > 0) timings["user_speech_end"] = t.speechEnd;
  if (t.vadEnd > 0) timings["vad_end"] = t.vadEnd;
  if (t.sttFinal > 0) timings["stt_final"] = t.sttFinal;
  return timings;
}

}  // namespace convox::worker

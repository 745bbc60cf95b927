#include "voice_agent.hpp"

#include "agent_config/placeholders.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"
#include "voice/dialog_engine.hpp"
#include "voice/espeak_synthesizer.hpp"
#include "voice/pocketsphinx_recognizer.hpp"
#include "voice/test_providers.hpp"
#include "voice/webrtc_vad.hpp"

#include <algorithm>
#include <set>

namespace convox::worker {

namespace {

constexpr std::chrono::milliseconds kFrame{20};
constexpr size_t kPreRollSamples = size_t{16000} * 3 / 10;   // 300 ms at 16 kHz
constexpr size_t kRecognizerChunk = 16000 / 5;               // hand audio over every 200 ms
constexpr size_t kMaxUtteranceSamples = size_t{16000} * 15;  // the STT input cap (15 s)
constexpr const char* kApology = "Sorry, I am having trouble answering right now.";
constexpr const char* kStillThere = "Are you still there?";

// espeak-ng speaks what the agent names when it is an espeak voice; anything
// else (a cloud provider's voice) falls back to the language's default.
std::string espeakVoice(const agent_config::ProviderChoice& tts, const std::string& language) {
  if ((tts.provider.empty() || tts.provider == "espeak" || tts.provider == "espeak-ng") && !tts.voice.empty()) {
    return tts.voice;
  }
  std::string lang = tts.language.empty() ? language : tts.language;
  std::transform(lang.begin(), lang.end(), lang.begin(), [](unsigned char c) { return std::tolower(c); });
  return lang.empty() ? "en-us" : lang;
}

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
  utterance_.reserve(kRecognizerChunk * 2);
}

VoiceAgent::~VoiceAgent() { stop(); }

bool VoiceAgent::init(std::unique_ptr<voice::LanguageModel> model, std::string& error) {
  model_ = std::move(model);
  jitter_ = voice::OpusJitterBuffer::create({}, error);
  if (!jitter_) return false;
  downsampler_ = voice::Resampler::create(48000, 16000, error);
  if (!downsampler_) return false;
  voice::VadSettings vad;
  vad.silenceMs = static_cast<int>(settings_.turns.vadMinSilenceMs);
  vad.minSpeechMs = std::max(vad.minSpeechMs, static_cast<int>(settings_.turns.vadMinSpeechMs));
  vad_ = voice::WebRtcVad::create(16000, vad, error);
  if (!vad_) return false;
  out_ = voice::AudioOutQueue::create({}, *this, error);
  if (!out_) return false;
  // Model loading takes a while (PocketSphinx reads its acoustic model):
  // on the pool, never on the media thread. Audio that arrives first waits.
  voice::PocketSphinxSettings stt;
  stt.phrases = voice::recognizerPhrases(settings_);
  voice::EspeakSettings tts;
  tts.voice = espeakVoice(settings_.tts, settings_.language);
  ttsVoice_ = tts.voice;
  tts.rate = std::clamp(static_cast<int>(175 * settings_.voiceSpeed), 80, 450);
  struct Engines {
    std::shared_ptr<voice::SpeechToText> stt;
    std::shared_ptr<voice::TextToSpeech> tts;
    std::string error;
  };
  std::weak_ptr<bool> alive = alive_;
  auto poster = [&loop = loop_, alive](voice::ComputePool::Task task) {
    loop.post([alive, task = std::move(task)] {
      // Set to false by stop(): a stopped agent takes no more results.
      if (const auto live = alive.lock(); live && *live) task();
    });
  };
  const bool testStt = settings_.stt.provider == voice::kTestProvider;
  const bool testTts = settings_.tts.provider == voice::kTestProvider;
  const std::string testTranscript =
      voice::testProviderText(settings_.stt, "transcript", "i would like to book an appointment");
  const bool posted = pool_.submit(
      [stt, tts, testStt, testTts, testTranscript]() {
        Engines e;
        std::string err;
        if (testStt) e.stt = voice::makeTestRecognizer(testTranscript);
        if (testTts) e.tts = voice::makeTestSynthesizer();
        if (!e.stt) e.stt = voice::PocketSphinxRecognizer::create(stt, err);
        if (!e.stt) e.error = "speech recognition: " + err;
        if (e.tts) return e;
        auto synth = voice::EspeakSynthesizer::create(tts, err);
        if (!synth) {
          auto fallback = tts;
          fallback.voice = "en-us";
          synth = voice::EspeakSynthesizer::create(fallback, err);
        }
        e.tts = std::move(synth);
        if (!e.tts && e.error.empty()) e.error = "speech synthesis: " + err;
        return e;
      },
      poster,
      [this](Engines e) {
        stt_ = std::move(e.stt);
        tts_ = std::move(e.tts);
        if (!e.error.empty()) {
          // A call that can neither hear nor speak is over, not silent.
          common::logger("worker")->error("voice agent: {}", e.error);
          if (hooks_.fail) hooks_.fail(e.error);
          return;
        }
        synthesizeNext();  // the first message may be waiting
      });
  if (!posted) {
    error = "the compute pool is full";
    return false;
  }
  return true;
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
  if (tts_) tts_->cancel();
  if (model_) model_->cancel();
  flushUsage();
}

void VoiceAgent::addUsage(const std::string& stage, const std::string& provider, const std::string& model,
                          const std::string& unit, double quantity) {
  if (quantity > 0) usage_[{stage, provider, model, unit}] += quantity;
}

void VoiceAgent::flushUsage() {
  if (hooks_.usage) {
    for (const auto& [key, quantity] : usage_) {
      const auto& [stage, provider, model, unit] = key;
      hooks_.usage({stage, provider, model, unit, quantity});
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
  if (outputReady && !unanswered_.empty() && !replying_ && !inUtterance_ && !sttBusy_ && !sttFinalPending_) {
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
  if (!inUtterance_) return;
  if (utterance_.size() + n <= kMaxUtteranceSamples) utterance_.insert(utterance_.end(), frame.begin(), frame.end());
  if (utterance_.size() >= kRecognizerChunk) feedRecognizer(false);
}

void VoiceAgent::onSpeechStart(int64_t startMs) {
  userSpeaking_ = true;
  inUtterance_ = true;
  discardUtterance_ = false;
  lastActivityMs_ = nowMs();
  stillThereAsked_ = false;
  heard_ = {};
  heard_.speechStart = nowMs() - (vad_->streamMs() - startMs);
  // The pre-roll holds the onset the VAD needed time to decide on.
  utterance_.clear();
  utterance_.insert(utterance_.end(), preRoll_.begin() + static_cast<long>(preRollAt_), preRoll_.end());
  utterance_.insert(utterance_.end(), preRoll_.begin(), preRoll_.begin() + static_cast<long>(preRollAt_));
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
  feedRecognizer(true);
}

void VoiceAgent::feedRecognizer(bool final) {
  if (!stt_) {
    // Still loading: keep what we have (bounded) and try at the end.
    if (final) sttFinalPending_ = true;
    return;
  }
  if (sttBusy_) {
    if (final) sttFinalPending_ = true;
    return;
  }
  sttBusy_ = true;
  sttFinalPending_ = false;
  std::vector<int16_t> audio;
  audio.swap(utterance_);
  utterance_.reserve(kRecognizerChunk * 2);
  // Read when the final chunk is sent, not at the speech end: a final
  // chunk held back while the recognizer was busy may go out after the
  // false-interruption timeout has resumed the agent (with
  // min_interruption_words), and that speech is then not a turn either.
  const bool discard = discardUtterance_ || (final && bargeIn_.discardSpeech());
  // With min_interruption_words the transcript decides the barge-in.
  const bool decides = final && bargeIn_.waitingForWords();
  std::weak_ptr<bool> alive = alive_;
  auto poster = [&loop = loop_, alive](voice::ComputePool::Task task) {
    loop.post([alive, task = std::move(task)] {
      // Set to false by stop(): a stopped agent takes no more results.
      if (const auto live = alive.lock(); live && *live) task();
    });
  };
  const bool posted = pool_.submit(
      [stt = stt_, audio = std::move(audio), final]() -> std::optional<voice::SttResult> {
        stt->push(audio);
        if (!final) return std::nullopt;
        return stt->finish();
      },
      poster,
      [this, discard, decides](std::optional<voice::SttResult> result) {
        sttBusy_ = false;
        if (result) {
          addUsage("stt", "pocketsphinx", "en-us", "audio_seconds", static_cast<double>(result->audioMs) / 1000.0);
          if (!discard) onTranscript(std::move(*result), decides);
        }
        if (sttFinalPending_ || utterance_.size() >= kRecognizerChunk) feedRecognizer(sttFinalPending_);
      });
  if (!posted) {
    sttBusy_ = false;
    ++stats_.poolRejections;
    common::logger("worker")->warn("voice agent: compute pool full, an utterance was dropped");
    if (final && stt_) {
      // The recognizer must not carry this utterance into the next one.
      pool_.post([stt = stt_] { stt->cancel(); });
    }
  }
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

void VoiceAgent::onUserText(const std::string& text) {
  if (text.empty()) return;
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
    addUsage("llm", usage.provider, usage.model, "input_tokens", static_cast<double>(usage.inputTokens));
    addUsage("llm", usage.provider, usage.model, "output_tokens", static_cast<double>(usage.outputTokens));
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
    if (utteranceId_ != 0) out_->endUtterance(utteranceId_);
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
  std::weak_ptr<bool> alive = alive_;
  auto* loop = &loop_;
  auto poster = [loop, alive](voice::ComputePool::Task task) {
    loop->post([alive, task = std::move(task)] {
      if (const auto live = alive.lock(); live && *live) task();
    });
  };
  const bool posted = pool_.submit(
      [tts = tts_, text, loop, alive, generation, id, this]() {
        // Chunks go to the media thread as the engine makes them.
        return tts->synthesize(text, [&](std::span<const int16_t> pcm) {
          loop->post([alive, pcm = std::vector<int16_t>(pcm.begin(), pcm.end()), generation, id, this] {
            const auto live = alive.lock();
            if (!live || !*live || generation != generation_) return;
            if (ttsFirstAudioMs_ < 0) ttsFirstAudioMs_ = nowMs();
            const auto queued = static_cast<int64_t>(out_->push(id, pcm));
            if (id == utteranceId_) utteranceSamples_ += queued;
          });
        });
      },
      poster,
      [this, text, generation, id, pieceStart](voice::TtsStats stats) {
        ttsBusy_ = false;
        addUsage("tts", "espeak-ng", ttsVoice_, "characters", static_cast<double>(text.size()));
        if (generation != generation_) return synthesizeNext();
        spoken_.add(text, pieceStart, utteranceSamples_ - pieceStart, std::move(stats.words));
        if (!toSpeak_.empty()) return synthesizeNext();
        if (!replying_) out_->endUtterance(id);
      });
  if (!posted) {
    // The rest of this reply is not spoken; the utterance ends with what is
    // queued, so playout, state, captions and timeouts carry on.
    ttsBusy_ = false;
    ++stats_.poolRejections;
    toSpeak_.clear();
    if (!replying_) out_->endUtterance(id);
    common::logger("worker")->warn("voice agent: compute pool full, a sentence was not spoken");
  }
}

void VoiceAgent::interrupt() {
  ++stats_.interruptions;
  ++generation_;
  toSpeak_.clear();
  if (ttsBusy_ && tts_) tts_->cancel();
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

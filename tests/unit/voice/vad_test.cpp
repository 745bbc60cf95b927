#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "alloc_counter.hpp"
#include "test_audio.hpp"
#include "voice/resampler.hpp"
#include "voice/webrtc_vad.hpp"

namespace convox::voice {
namespace {

struct Event {
  bool start;
  int64_t ms;
  int64_t detectedMs;
};

struct Recorder : VadListener {
  std::vector<Event> events;
  void onSpeechStart(int64_t startMs) override { events.push_back({true, startMs, startMs}); }
  void onSpeechEnd(int64_t endMs, int64_t detectedMs) override { events.push_back({false, endMs, detectedMs}); }
};

// The pipeline's path: 48 kHz media -> 16 kHz in 20 ms frames -> VAD.
std::vector<Event> detect(const test::Pcm& pcm, const VadSettings& settings = {}, int trailingSilenceMs = 1000) {
  std::string error;
  auto r = Resampler::create(pcm.sampleRate, 16000, error);
  auto vad = WebRtcVad::create(16000, settings, error);
  EXPECT_TRUE(r && vad) << error;
  if (!r || !vad) return {};
  Recorder rec;
  std::vector<int16_t> in = pcm.samples;
  in.resize(in.size() + static_cast<size_t>(pcm.sampleRate * trailingSilenceMs / 1000), 0);
  std::vector<int16_t> out(r->maxOutputSamples(960));
  const size_t chunk = static_cast<size_t>(pcm.sampleRate) / 50;
  for (size_t at = 0; at + chunk <= in.size(); at += chunk) {
    const size_t n = r->process(std::span(in).subspan(at, chunk), out);
    vad->process(std::span(out).first(n), rec);
  }
  return rec.events;
}

int64_t lastLoudMs(const test::Pcm& pcm) {
  const size_t frame = static_cast<size_t>(pcm.sampleRate) / 100;
  int64_t last = -1;
  for (size_t at = 0; at + frame <= pcm.samples.size(); at += frame)
    if (test::rms(std::span(pcm.samples).subspan(at, frame)) > 300) last = static_cast<int64_t>(at / frame) * 10 + 10;
  return last;
}

TEST(WebRtcVad, SilenceIsNotSpeech) { EXPECT_TRUE(detect(test::media("silence_2s.wav")).empty()); }

TEST(WebRtcVad, HelloGivesOneStartNearItsOnsetAndOneEnd) {
  const auto hello = test::media("hello.wav");
  const auto events = detect(hello);
  ASSERT_EQ(events.size(), 2u);
  ASSERT_TRUE(events[0].start);
  ASSERT_FALSE(events[1].start);
  // make_media.sh pads speech with 0.3 s before and 0.8 s after it; the
  // resampler adds a few ms of delay.
  EXPECT_GE(events[0].ms, 250);
  EXPECT_LE(events[0].ms, 400);
  // espeak-ng ends its own output with ~0.4 s of silence, so the speech end
  // is measured from the audio: the last 10 ms with any energy.
  const int64_t speechEndMs = lastLoudMs(hello);
  EXPECT_GT(speechEndMs, 1000);
  EXPECT_GE(events[1].ms, speechEndMs - 50);  // WebRTC's hangover runs late, never early
  EXPECT_LE(events[1].ms, speechEndMs + 200);
  EXPECT_EQ(events[1].detectedMs - events[1].ms, VadSettings{}.silenceMs);
}

TEST(WebRtcVad, EveryPromptIsOneUtterance) {
  // At LiveKit's 550 ms and at the seed config's 800 ms.
  for (int silenceMs : {550, 800}) {
    for (const char* name : {"hello.wav", "book_appointment.wav", "opening_hours.wav", "speak_to_human.wav",
                             "goodbye.wav", "interrupt_stop.wav"}) {
      const auto pcm = test::media(name);
      const auto events = detect(pcm, VadSettings{.silenceMs = silenceMs});
      ASSERT_EQ(events.size(), 2u) << name << " " << silenceMs;
      EXPECT_TRUE(events[0].start) << name;
      EXPECT_NEAR(static_cast<double>(events[0].ms), 300.0, 100.0) << name;
      const int64_t speechEndMs = lastLoudMs(pcm);
      EXPECT_GE(events[1].ms, speechEndMs - 50) << name;
      EXPECT_LE(events[1].ms, speechEndMs + 200) << name;
    }
  }
}

TEST(WebRtcVad, TheSpeechEndIsWhereTheVoiceStopsNotWhereTheDetectorsHangoverDoes) {
  // The detector keeps flagging frames for up to ~150 ms after the energy
  // stops; every one of them would delay the reply (the silence wait counts
  // from the speech end). Within 30 ms of the last loud 10 ms frame.
  for (const char* name : {"hello.wav", "book_appointment.wav", "opening_hours.wav", "speak_to_human.wav",
                           "goodbye.wav", "interrupt_stop.wav"}) {
    const auto pcm = test::media(name);
    const auto events = detect(pcm);
    ASSERT_EQ(events.size(), 2u) << name;
    const int64_t speechEndMs = lastLoudMs(pcm);
    EXPECT_GE(events[1].ms, speechEndMs - 30) << name;
    EXPECT_LE(events[1].ms, speechEndMs + 30) << name;
    EXPECT_EQ(events[1].detectedMs - events[1].ms, VadSettings{}.silenceMs) << name;
  }
}

TEST(WebRtcVad, ShortSilenceThresholdSplitsAtPauses) {
  // "Wait, stop, stop." has pauses at its commas: a 100 ms threshold ends
  // speech there, the default does not.
  const auto pcm = test::media("interrupt_stop.wav");
  const auto shortGap = detect(pcm, VadSettings{.minSpeechMs = 50, .silenceMs = 100});
  const auto normal = detect(pcm);
  EXPECT_EQ(normal.size(), 2u);
  EXPECT_GT(shortGap.size(), normal.size());
}

TEST(WebRtcVad, SteadyToneIsFlaggedAsSpeech) {
  // Measured, not wished for: the WebRTC GMM VAD models energy and spectrum,
  // not speech, and calls a steady 440 Hz or 1 kHz tone voice from the first
  // frame to the end at every likelihood (0..3). A hold tone or a beep will
  // therefore pause the agent; only the transcript (min_interruption_words)
  // can tell it from a user. This test pins the behaviour so a better VAD
  // shows up here.
  for (int likelihood = 0; likelihood <= 3; ++likelihood) {
    for (const char* name : {"tone_440hz_3s.wav", "tone_1000hz_3s.wav"}) {
      const auto events = detect(test::media(name), VadSettings{.likelihood = likelihood});
      ASSERT_EQ(events.size(), 2u) << name << " likelihood " << likelihood;
      EXPECT_LE(events[0].ms, 20) << name;
      EXPECT_NEAR(static_cast<double>(events[1].ms), 3000.0, 200.0) << name;
    }
  }
}

test::Pcm burstAt500ms(double seconds) {
  test::Pcm pcm{48000, std::vector<int16_t>(48000, 0)};
  const auto tone = test::sine(48000, 1000.0, seconds);
  std::copy(tone.begin(), tone.end(), pcm.samples.begin() + 24000);
  return pcm;
}

TEST(WebRtcVad, ClickShorterThanTheHangoverDoesNotStartSpeech) {
  // WebRTC's VAD holds its decision ~70 ms after the energy stops (measured:
  // a 20 ms burst gives 9 voiced frames, 40 ms gives 11), so minSpeechMs
  // (100) rejects a 20 ms click but a 40 ms one starts speech; the turn
  // manager pauses and then resumes for those (false interruption).
  EXPECT_TRUE(detect(burstAt500ms(0.02)).empty());
  const auto events = detect(burstAt500ms(0.15));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].ms, 500);
  EXPECT_GE(events[1].ms, 650);
  EXPECT_LE(events[1].ms, 780);
}

TEST(WebRtcVad, LastVoicedEndFollowsTheVoiceBeforeTheSpeechEndIsReported) {
  // Barge-in reads it to resume after a click without waiting silenceMs.
  std::string error;
  auto r = Resampler::create(48000, 16000, error);
  auto vad = WebRtcVad::create(16000, {}, error);
  ASSERT_TRUE(r && vad) << error;
  Recorder rec;
  auto pcm = burstAt500ms(0.15).samples;
  pcm.resize(pcm.size() + 48000, 0);
  std::vector<int16_t> out(r->maxOutputSamples(960));
  int64_t voicedAtStart = -1;
  for (size_t at = 0; at + 960 <= pcm.size(); at += 960) {
    const size_t n = r->process(std::span(pcm).subspan(at, 960), out);
    const size_t before = rec.events.size();
    vad->process(std::span(out).first(n), rec);
    if (rec.events.size() > before && rec.events.back().start) voicedAtStart = vad->lastVoicedEndMs();
    if (vad->streamMs() == 1000) {
      // The beep's voice (with the VAD's hold) has ended; its speech end has not been reported yet.
      EXPECT_TRUE(vad->speaking());
      EXPECT_LE(vad->lastVoicedEndMs(), 800);
    }
  }
  ASSERT_EQ(rec.events.size(), 2u);
  // minSpeechMs of voice, give or take the second 10 ms frame of the block.
  EXPECT_GE(voicedAtStart, rec.events[0].ms + 100);
  EXPECT_LE(voicedAtStart, rec.events[0].ms + 110);
  EXPECT_EQ(vad->lastVoicedEndMs(), rec.events[1].ms);
  EXPECT_LT(vad->lastVoicedEndMs() - rec.events[0].ms, 500);  // short of min_interruption_duration
}

TEST(WebRtcVad, StreamTimeAndReset) {
  std::string error;
  auto vad = WebRtcVad::create(16000, {}, error);
  ASSERT_TRUE(vad) << error;
  Recorder rec;
  const std::vector<int16_t> silence(16000 * 3 / 2 + 55, 0);  // not a multiple of 10 ms
  vad->process(silence, rec);
  EXPECT_EQ(vad->streamMs(), 1500);
  vad->reset();
  EXPECT_EQ(vad->streamMs(), 0);
  EXPECT_FALSE(vad->speaking());
}

TEST(WebRtcVad, NoAllocationPerFrame) {
  std::string error;
  auto vad = WebRtcVad::create(16000, {}, error);
  ASSERT_TRUE(vad) << error;
  Recorder rec;
  rec.events.reserve(16);
  const auto speechLike = test::sine(16000, 300.0, 0.02);
  test::AllocationScope scope;
  for (int i = 0; i < 200; ++i) vad->process(speechLike, rec);
  EXPECT_EQ(scope.count(), 0u);
}

TEST(WebRtcVad, RefusesBadSettings) {
  std::string error;
  EXPECT_FALSE(WebRtcVad::create(44100, {}, error));
  EXPECT_NE(error.find("sample rate"), std::string::npos);
  EXPECT_FALSE(WebRtcVad::create(16000, VadSettings{.likelihood = 7}, error));
  EXPECT_NE(error.find("likelihood"), std::string::npos);
}

}  // namespace
}  // namespace convox::voice

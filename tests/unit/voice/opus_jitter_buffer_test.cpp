#include "voice/opus_jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "alloc_counter.hpp"
#include "test_audio.hpp"

namespace convox::voice {
namespace {

struct Packet {
  uint16_t sequence;
  uint32_t timestamp;
  std::vector<uint8_t> payload;
};

// A 440 Hz tone through rtc::OpusFrameEncoder, as a browser would send it.
std::vector<Packet> encodeTone(size_t frames, uint16_t firstSequence, bool fec = false) {
  std::string error;
  auto enc = rtc::OpusFrameEncoder::create({.inbandFec = fec, .expectedLossPercent = fec ? 20 : 0}, error);
  EXPECT_TRUE(enc) << error;
  const auto pcm = test::sine(48000, 440.0, static_cast<double>(frames) * 0.02);
  std::vector<Packet> out;
  std::array<uint8_t, rtc::kOpusMaxPacketBytes> buf{};
  for (size_t i = 0; i < frames; ++i) {
    const int n = enc->encode(std::span(pcm).subspan(i * 960, 960), buf);
    EXPECT_GT(n, 2);
    out.push_back({static_cast<uint16_t>(firstSequence + i), static_cast<uint32_t>(1000 + i * 960),
                   std::vector<uint8_t>(buf.begin(), buf.begin() + n)});
  }
  return out;
}

std::unique_ptr<OpusJitterBuffer> makeBuffer(JitterBufferSettings settings = {}) {
  std::string error;
  auto jb = OpusJitterBuffer::create(settings, error);
  EXPECT_TRUE(jb) << error;
  return jb;
}

struct Playout {
  std::vector<JitterFrame> kinds;
  std::vector<int16_t> pcm;
};

// Pulls `frames` frames.
Playout pull(OpusJitterBuffer& jb, size_t frames) {
  Playout p;
  std::array<int16_t, rtc::kOpusFrameSamples> frame{};
  for (size_t i = 0; i < frames; ++i) {
    p.kinds.push_back(jb.pull(frame));
    p.pcm.insert(p.pcm.end(), frame.begin(), frame.end());
  }
  return p;
}

size_t count(const Playout& p, JitterFrame k) {
  return static_cast<size_t>(std::count(p.kinds.begin(), p.kinds.end(), k));
}

// Pushes everything, then drains: the decoded result of a given arrival order.
Playout pushAllThenDrain(const std::vector<Packet>& packets, size_t frames,
                         JitterBufferSettings settings = {.capacity = 64}) {
  auto jb = makeBuffer(settings);
  for (const auto& p : packets) jb->push(7, p.sequence, p.timestamp, p.payload);
  return pull(*jb, frames);
}

TEST(OpusJitterBuffer, InOrderStreamDecodesTheTone) {
  const auto packets = encodeTone(50, 100);
  auto jb = makeBuffer();
  Playout p;
  // Real-time pace: one packet in, one frame out, after the prefill.
  for (size_t i = 0; i < packets.size(); ++i) {
    jb->push(7, packets[i].sequence, packets[i].timestamp, packets[i].payload);
    auto one = pull(*jb, 1);
    p.kinds.push_back(one.kinds[0]);
    p.pcm.insert(p.pcm.end(), one.pcm.begin(), one.pcm.end());
  }
  EXPECT_EQ(count(p, JitterFrame::Silence), 2u);  // prefill of 3: frames 0 and 1 wait
  EXPECT_EQ(count(p, JitterFrame::Decoded), 48u);
  EXPECT_EQ(jb->depth(), 2u);
  const std::span<const int16_t> mid(p.pcm.data() + size_t{960} * 10, size_t{960} * 30);
  EXPECT_NEAR(test::zeroCrossingHz(mid, 48000), 440.0, 5.0);
  EXPECT_EQ(jb->lastTimestamp(), 1000u + 47u * 960u);
}

TEST(OpusJitterBuffer, ReorderedAndDuplicatedPacketsGiveTheSameAudio) {
  const auto packets = encodeTone(40, 500);
  const auto reference = pushAllThenDrain(packets, 40);
  ASSERT_EQ(count(reference, JitterFrame::Decoded), 40u);
  auto shuffled = packets;
  for (size_t i = 0; i + 1 < shuffled.size(); i += 3) std::swap(shuffled[i], shuffled[i + 1]);
  std::vector<Packet> doubled;
  for (const auto& p : shuffled) {
    doubled.push_back(p);
    doubled.push_back(p);
  }
  std::string error;
  auto jb = makeBuffer({.capacity = 64});
  for (const auto& p : doubled) jb->push(7, p.sequence, p.timestamp, p.payload);
  const auto out = pull(*jb, 40);
  EXPECT_EQ(out.pcm, reference.pcm);
  EXPECT_EQ(jb->stats().duplicates, 40u);
}

TEST(OpusJitterBuffer, ALostPacketIsRebuiltFromTheNextOnesFec) {
  const auto packets = encodeTone(30, 10, /*fec=*/true);
  auto lossy = packets;
  lossy.erase(lossy.begin() + 12);
  const auto out = pushAllThenDrain(lossy, 30);
  EXPECT_EQ(out.kinds[12], JitterFrame::Fec);
  EXPECT_EQ(count(out, JitterFrame::Decoded), 29u);
  // The rebuilt frame is the tone, not silence.
  const std::span<const int16_t> rebuilt(out.pcm.data() + size_t{12} * 960, 960);
  EXPECT_GT(test::rms(rebuilt), 3000.0);
}

TEST(OpusJitterBuffer, TwoLostPacketsUsePlcThenFec) {
  const auto packets = encodeTone(30, 10);
  auto lossy = packets;
  lossy.erase(lossy.begin() + 12, lossy.begin() + 14);
  auto jb = makeBuffer({.capacity = 64});
  for (const auto& p : lossy) jb->push(7, p.sequence, p.timestamp, p.payload);
  const auto out = pull(*jb, 30);
  EXPECT_EQ(out.kinds[12], JitterFrame::Concealed);  // nothing after it to repair from
  EXPECT_EQ(out.kinds[13], JitterFrame::Fec);
  EXPECT_EQ(jb->stats().concealed, 1u);
  EXPECT_EQ(jb->stats().fec, 1u);
  EXPECT_EQ(out.kinds.size(), 30u);
}

TEST(OpusJitterBuffer, ASequenceGapWithoutATimestampGapIsNotALoss) {
  // What libwebrtc sends after DTX silence when its padding packets are
  // dropped on the way: the numbers jump, the timestamps run on by one frame.
  auto packets = encodeTone(30, 100);
  uint16_t skip = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    if (i == 5 || i == 6) skip = static_cast<uint16_t>(skip + 9);
    packets[i].sequence = static_cast<uint16_t>(packets[i].sequence + skip);
  }
  const auto out = pushAllThenDrain(packets, 30);
  EXPECT_EQ(count(out, JitterFrame::Decoded), 30u);
  EXPECT_EQ(count(out, JitterFrame::Concealed), 0u);
  EXPECT_EQ(out.pcm, pushAllThenDrain(encodeTone(30, 100), 30).pcm);
}

TEST(OpusJitterBuffer, ASequenceGapWithATimestampGapIsStillALoss) {
  auto packets = encodeTone(30, 100);
  packets.erase(packets.begin() + 10);  // both the number and the frame are missing
  const auto out = pushAllThenDrain(packets, 30);
  // Repaired from the next packet (PLC, as it carries no FEC), not skipped.
  EXPECT_EQ(out.kinds[10], JitterFrame::Fec);
  EXPECT_EQ(count(out, JitterFrame::Decoded), 29u);
  EXPECT_EQ(count(out, JitterFrame::Fec), 1u);
}

TEST(OpusJitterBuffer, APacketAfterItsTurnIsDroppedAsLate) {
  const auto packets = encodeTone(10, 0);
  auto jb = makeBuffer();
  for (int i : {0, 1, 3, 4}) jb->push(7, packets[i].sequence, packets[i].timestamp, packets[i].payload);
  auto out = pull(*jb, 3);  // 0, 1, then 2 is concealed
  EXPECT_EQ(out.kinds[2], JitterFrame::Fec);
  jb->push(7, packets[2].sequence, packets[2].timestamp, packets[2].payload);
  EXPECT_EQ(jb->stats().late, 1u);
  out = pull(*jb, 1);
  EXPECT_EQ(out.kinds[0], JitterFrame::Decoded);  // 3, not the late 2
}

TEST(OpusJitterBuffer, BurstBeyondCapacityDropsTheOldest) {
  const auto packets = encodeTone(48, 65530);  // also crosses the sequence wrap
  auto jb = makeBuffer({.capacity = 16, .prefill = 3});
  for (const auto& p : packets) jb->push(7, p.sequence, p.timestamp, p.payload);
  EXPECT_EQ(jb->depth(), 16u);
  EXPECT_EQ(jb->stats().overflowed, 32u);
  const auto out = pull(*jb, 17);
  EXPECT_EQ(count(out, JitterFrame::Decoded), 16u);
  EXPECT_EQ(jb->lastTimestamp(), packets.back().timestamp);  // the newest survived
  EXPECT_EQ(out.kinds[16], JitterFrame::Silence);            // then it runs dry
  EXPECT_EQ(jb->stats().underruns, 1u);
}

// Frames of silence through the encoder, as a microphone sends between words.
std::vector<Packet> encodeSilence(size_t frames, uint16_t firstSequence) {
  std::string error;
  auto enc = rtc::OpusFrameEncoder::create({}, error);
  EXPECT_TRUE(enc) << error;
  const std::vector<int16_t> pcm(960, 0);
  std::vector<Packet> out;
  std::array<uint8_t, rtc::kOpusMaxPacketBytes> buf{};
  for (size_t i = 0; i < frames; ++i) {
    const int n = enc->encode(pcm, buf);
    EXPECT_GT(n, 0);
    out.push_back({static_cast<uint16_t>(firstSequence + i), static_cast<uint32_t>(1000 + i * 960),
                   std::vector<uint8_t>(buf.begin(), buf.begin() + n)});
  }
  return out;
}

// A burst before playout starts (the call's first packets arrive before the
// agent listens) or after a stall would delay every later frame by its
// depth for the rest of the call (bench/agent_load measured 170-430 ms):
// silent frames are dropped until the buffer is back to its prefill, so the
// delay shrinks in the next pause and speech itself is never cut.
TEST(OpusJitterBuffer, ExcessDelayDrainsInSilenceNotInSpeech) {
  auto jb = makeBuffer({.capacity = 16, .prefill = 3});
  const auto quiet = encodeSilence(12, 100);
  for (const auto& p : quiet) jb->push(7, p.sequence, p.timestamp, p.payload);
  ASSERT_EQ(jb->depth(), 12u);
  const auto first = pull(*jb, 1);
  EXPECT_EQ(first.kinds[0], JitterFrame::Decoded);
  EXPECT_LE(jb->depth(), 3u) << "the silence was played out at its full delay";
  // Speech held as deep is played in full: no word is cut to catch up.
  auto speech = makeBuffer({.capacity = 16, .prefill = 3});
  const auto tone = encodeTone(12, 200);
  for (const auto& p : tone) speech->push(7, p.sequence, p.timestamp, p.payload);
  const auto out = pull(*speech, 12);
  EXPECT_EQ(count(out, JitterFrame::Decoded), 12u);
  EXPECT_EQ(speech->lastTimestamp(), tone.back().timestamp);
}

TEST(OpusJitterBuffer, RunningDryBuffersAgainAndSkipsThePause) {
  const auto packets = encodeTone(20, 0);
  auto jb = makeBuffer();
  for (int i = 0; i < 5; ++i) jb->push(7, packets[i].sequence, packets[i].timestamp, packets[i].payload);
  auto out = pull(*jb, 6);
  EXPECT_EQ(out.kinds[5], JitterFrame::Silence);
  // A straggler from before the pause is not a new start while buffering.
  jb->push(7, packets[3].sequence, packets[3].timestamp, packets[3].payload);
  EXPECT_EQ(jb->stats().late, 1u);
  EXPECT_EQ(jb->depth(), 0u);
  // The user resumes after packets 5..9 were lost in the pause.
  for (int i = 10; i < 13; ++i) jb->push(7, packets[i].sequence, packets[i].timestamp, packets[i].payload);
  out = pull(*jb, 3);
  EXPECT_EQ(count(out, JitterFrame::Decoded), 3u);  // no PLC for the pause
  EXPECT_EQ(jb->lastTimestamp(), packets[12].timestamp);
  jb->push(7, packets[6].sequence, packets[6].timestamp, packets[6].payload);
  EXPECT_EQ(jb->stats().late, 2u);
}

TEST(OpusJitterBuffer, NewSsrcStartsANewStream) {
  const auto first = encodeTone(10, 1000);
  const auto second = encodeTone(10, 40000);
  auto jb = makeBuffer();
  for (const auto& p : first) jb->push(7, p.sequence, p.timestamp, p.payload);
  pull(*jb, 4);
  for (const auto& p : second) jb->push(8, p.sequence, p.timestamp, p.payload);
  EXPECT_EQ(jb->stats().ssrcChanges, 1u);
  EXPECT_EQ(jb->depth(), 10u);
  const auto out = pull(*jb, 10);
  EXPECT_EQ(count(out, JitterFrame::Decoded), 10u);
  EXPECT_EQ(jb->lastTimestamp(), second.back().timestamp);
}

TEST(OpusJitterBuffer, GarbageIsConcealedAndCounted) {
  auto packets = encodeTone(10, 0);
  packets[4].payload = std::vector<uint8_t>(40, 0xff);  // not a valid Opus packet
  const auto out = pushAllThenDrain(packets, 10);
  EXPECT_NE(out.kinds[4], JitterFrame::Decoded);
  EXPECT_EQ(out.kinds[5], JitterFrame::Decoded);
  auto jb = makeBuffer();
  jb->push(7, 0, 0, {});
  jb->push(7, 1, 0, std::vector<uint8_t>(2000, 1));
  EXPECT_EQ(jb->stats().decodeErrors, 2u);
  EXPECT_EQ(jb->depth(), 0u);
}

TEST(OpusJitterBuffer, NoAllocationPerFrame) {
  const auto packets = encodeTone(200, 0);
  auto jb = makeBuffer();
  std::array<int16_t, rtc::kOpusFrameSamples> frame{};
  test::AllocationScope scope;
  for (size_t i = 0; i < packets.size(); ++i) {
    if (i % 17 != 5) jb->push(7, packets[i].sequence, packets[i].timestamp, packets[i].payload);  // some loss
    jb->pull(frame);
  }
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_GT(jb->stats().fec + jb->stats().concealed, 5u);
}

TEST(OpusJitterBuffer, RefusesBadSettings) {
  std::string error;
  EXPECT_FALSE(OpusJitterBuffer::create({.capacity = 12}, error));
  EXPECT_NE(error.find("power of two"), std::string::npos);
  EXPECT_FALSE(OpusJitterBuffer::create({.capacity = 16, .prefill = 0}, error));
}

}  // namespace
}  // namespace convox::voice

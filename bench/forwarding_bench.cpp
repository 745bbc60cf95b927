// Per-packet costs of the SFU forwarding building blocks: sequence/timestamp
// munging per down-track, the retransmission buffer, NACK selection and RTX
// building, key-frame checks, audio-level observation and the simulcast
// decision, and the receive statistics behind our Receiver Reports. Each reports ns per packet (Time column) and
// allocations per packet (allocs/pkt, counted by allocation_counter.cpp's operator new; 0 expected). Reported, not
// asserted. Run: build/bench/convox_bench_forwarding
#include "allocation_counter.hpp"
#include "down_track.hpp"
#include "forwarding/active_speakers.hpp"
#include "forwarding/keyframe.hpp"
#include "forwarding/nack_responder.hpp"
#include "forwarding/retransmission_buffer.hpp"
#include "forwarding/rtp_munger.hpp"
#include "forwarding/rtx_packet.hpp"
#include "forwarding/simulcast_selector.hpp"
#include "forwarding/twcc_recorder.hpp"
#include "forwarding/vp8_munger.hpp"
#include "rtc/nack_generator.hpp"
#include "rtc/receive_stats.hpp"
#include "rtc/red_payload.hpp"
#include "rtc/rtcp_feedback.hpp"
#include "rtc/rtp_packet.hpp"
#include "up_track.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace {

using namespace convox::sfu;
using convox::rtc::RtpPacketView;

constexpr uint8_t kAudioLevelId = 1;

// Counts allocations made inside the timed loop; reports them per packet.
class AllocationCounter {
 public:
  explicit AllocationCounter(benchmark::State& state) : state_(state), start_(convox::bench::allocationCount()) {}
  ~AllocationCounter() {
    const auto made = static_cast<double>(convox::bench::allocationCount() - start_);
    state_.counters["allocs/pkt"] = benchmark::Counter(made / static_cast<double>(state_.iterations()));
    state_.SetItemsProcessed(state_.iterations());
  }
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

 private:
  benchmark::State& state_;
  uint64_t start_;
};

// 60-byte Opus packet with an audio-level extension.
std::vector<uint8_t> opusPacket() {
  std::vector<uint8_t> packet(60);
  const std::array<uint8_t, 1> level = {0x94};
  const std::array<convox::rtc::RtpExtensionEntry, 1> exts = {{{kAudioLevelId, level}}};
  convox::rtc::RtpHeader h;
  h.payloadType = 111;
  h.sequenceNumber = 1000;
  h.timestamp = 48000;
  h.ssrc = 0x11223344;
  const auto size = convox::rtc::buildRtpHeader(h, exts, packet);
  if (!size) std::abort();
  return packet;
}

void BM_MungerForwardInOrder(benchmark::State& state) {
  RtpMunger munger(48000, 100, 5000);
  uint16_t seq = 0;
  uint32_t ts = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(munger.forward(0x1234, seq++, ts += 960, now += 20'000, 40));
  }
}
BENCHMARK(BM_MungerForwardInOrder);

// The i-th arrival's sequence number when every 8 packets two arrive swapped.
uint32_t swapEveryEighthPair(uint32_t i) {
  if (i % 8 == 3) return i + 1;
  if (i % 8 == 4) return i - 1;
  return i;
}

// Every 8 packets two arrive swapped, and every 4096 the source switches
// (simulcast layer change): the late-packet and re-base paths included.
void BM_MungerForwardReorderedWithSwitches(benchmark::State& state) {
  RtpMunger munger(90000, 100, 5000);
  uint32_t n = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    uint32_t i = swapEveryEighthPair(n++);
    const uint32_t ssrc = 0x1000 + (i >> 12);
    benchmark::DoNotOptimize(munger.forward(ssrc, static_cast<uint16_t>(i), i * 3000, now += 1000, 1100));
  }
}
BENCHMARK(BM_MungerForwardReorderedWithSwitches);

// The whole per-subscriber rewrite of an audio packet: munge and write the
// new SSRC, sequence number and timestamp into the packet.
void BM_AudioForwardRewrite(benchmark::State& state) {
  auto packet = opusPacket();
  auto view = *RtpPacketView::parse(packet);
  RtpMunger munger(48000, 100, 5000);
  uint16_t seq = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    view.setSequenceNumber(seq++);
    const auto out = munger.forward(view.ssrc(), view.sequenceNumber(), view.timestamp() + seq * 960u, now += 20'000,
                                    static_cast<uint32_t>(view.payloadSize()));
    view.setSsrc(0xCAFEBABE);
    view.setSequenceNumber(out->sequenceNumber);
    view.setTimestamp(out->timestamp);
    view.setSsrc(0x11223344);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_AudioForwardRewrite);

// Finding the primary Opus frame of a RED payload (one 60-byte redundant
// block, a 60-byte primary), done per packet for subscribers without red.
void BM_RedPrimary(benchmark::State& state) {
  std::vector<uint8_t> payload = {0x80 | 111, 960 >> 6, ((960 & 0x3f) << 2), 60, 111};
  payload.resize(payload.size() + 120, 0x5a);
  AllocationCounter counter(state);
  for (auto _ : state) benchmark::DoNotOptimize(convox::rtc::redPrimary(payload));
}
BENCHMARK(BM_RedPrimary);

// The per-packet update of a publisher stream's receive statistics
// (sequence tracking, duplicate window, jitter): in order, and with every
// 8th pair swapped, a duplicate every 64 and a gap every 128.
void BM_ReceiveStatsInOrder(benchmark::State& state) {
  convox::rtc::ReceiveStats stats;
  stats.reset(0x11223344, 48000);
  uint16_t seq = 0;
  uint32_t ts = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) benchmark::DoNotOptimize(stats.onPacket(seq++, ts += 960, now += 20'000));
}
BENCHMARK(BM_ReceiveStatsInOrder);

// Transport-wide feedback: record every packet (one lost in 50, pairs swapped
// every 16) and build the feedback every 100 packets, as a busy publisher's
// transport does; cost per packet.
void BM_TwccRecordAndBuild(benchmark::State& state) {
  auto recorder = std::make_unique<convox::sfu::TwccRecorder>();
  std::array<uint8_t, convox::sfu::TwccRecorder::kMaxFeedbackBytes> out{};
  uint32_t n = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    uint32_t seq = n;
    if (n % 16 == 0) seq = n + 1;
    if (n % 16 == 1) seq = n - 1;
    if (n % 50 != 7) recorder->record(static_cast<uint16_t>(seq), now += 700);
    if (++n % 100 == 0) {
      while (const size_t size = recorder->buildFeedback(1, 2, out)) benchmark::DoNotOptimize(size);
    }
  }
}
BENCHMARK(BM_TwccRecordAndBuild);

void BM_ReceiveStatsDisordered(benchmark::State& state) {
  convox::rtc::ReceiveStats stats;
  stats.reset(0x11223344, 90000);
  uint32_t n = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    uint32_t i = swapEveryEighthPair(n++);
    if (i % 64 == 10) i -= 2;    // a duplicate
    if (i % 128 == 100) i += 1;  // a gap
    benchmark::DoNotOptimize(stats.onPacket(static_cast<uint16_t>(i), (i / 4) * 3000, now += 1000 + (i % 7) * 50));
  }
}
BENCHMARK(BM_ReceiveStatsDisordered);

// Upstream loss tracking per video packet: one packet in 100 lost, its hole
// NACKed after the reorder wait and filled by the retransmission 30 packets
// later (1 ms apart).
void BM_NackGeneratorOnePercentLoss(benchmark::State& state) {
  convox::rtc::NackGenerator nacks;
  std::array<uint16_t, 64> lost{};
  uint32_t n = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    const auto seq = static_cast<uint16_t>(n++);
    now += 1000;
    if (seq % 100 == 50) continue;  // lost
    nacks.onPacket(seq, now);
    if (seq % 100 == 80) nacks.onPacket(static_cast<uint16_t>(seq - 30), now);  // the retransmission
    if (nacks.due(now)) benchmark::DoNotOptimize(nacks.collect(now, lost));
  }
}
BENCHMARK(BM_NackGeneratorOnePercentLoss);

void BM_RetransmissionStore(benchmark::State& state) {
  const std::vector<uint8_t> packet(static_cast<size_t>(state.range(0)), 0xab);
  RetransmissionBuffer buffer(512);
  uint16_t seq = 0;
  AllocationCounter counter(state);
  for (auto _ : state) benchmark::DoNotOptimize(buffer.store(seq++, packet));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RetransmissionStore)->Arg(60)->Arg(1200);

void BM_RetransmissionStoreAndFind(benchmark::State& state) {
  const std::vector<uint8_t> packet(1200, 0xab);
  RetransmissionBuffer buffer(512);
  uint16_t seq = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    buffer.store(seq, packet);
    benchmark::DoNotOptimize(buffer.find(static_cast<uint16_t>(seq - 100)).size());
    ++seq;
  }
}
BENCHMARK(BM_RetransmissionStoreAndFind);

// A NACK for 17 packets, against a munger history and a buffer: select, look
// up, build the RTX packet. Per NACKed packet.
void BM_NackToRtx(benchmark::State& state) {
  auto stored = opusPacket();
  RtpMunger munger(48000, 0, 0);
  RetransmissionBuffer buffer(512);
  for (uint16_t s = 0; s < 1000; ++s) {
    buffer.store(s, stored);
    munger.forward(0x11223344, s, s * 960u, int64_t{s} * 20'000, 40);
  }
  std::array<uint16_t, 17> lost{};
  for (size_t i = 0; i < lost.size(); ++i) lost[i] = static_cast<uint16_t>(900 + i);
  std::array<uint8_t, 128> nackBytes{};
  const auto nackSize = convox::rtc::buildNack(1, 2, lost, nackBytes);
  const auto nackPacket = *convox::rtc::RtcpPacketView::parse(std::span(nackBytes).first(*nackSize));
  const auto nack = *convox::rtc::NackView::parse(nackPacket);
  NackResponder responder(0, 255);  // no rate limit: measure the full path every time
  std::array<uint16_t, 64> resend{};
  std::array<uint8_t, 1500> out{};
  int64_t now = 0;
  uint16_t rtxSeq = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    const size_t count = responder.select(nack, now += 1'000'000, resend);
    for (size_t i = 0; i < count; ++i) {
      const auto origin = munger.history(resend[i]);
      if (!origin) std::abort();
      const auto bytes = buffer.find(origin->sourceSequenceNumber);
      const auto view = RtpPacketView::parse(std::span(const_cast<uint8_t*>(bytes.data()), bytes.size()));
      const auto size = buildRtxPacket(*view, {0xABCD, 97, rtxSeq++, resend[i], origin->timestamp}, out);
      benchmark::DoNotOptimize(size);
    }
  }
  state.counters["ns/nacked-pkt"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(lost.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_NackToRtx);

void BM_KeyframeVp8(benchmark::State& state) {
  std::vector<uint8_t> payload = {0x90, 0xE0, 0x81, 0x23, 0x45, 0x60, 0x50, 0x2d,
                                  0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
  payload.resize(1100, 0x55);
  AllocationCounter counter(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(payload.data());
    benchmark::DoNotOptimize(isKeyframe(VideoCodec::Vp8, payload));
  }
}
BENCHMARK(BM_KeyframeVp8);

void BM_KeyframeH264StapA(benchmark::State& state) {
  std::vector<uint8_t> payload = {0x78, 0x00, 0x03, 0x68, 0xce, 0x38, 0x00, 0x04,
                                  0x06, 0x05, 0x01, 0x02, 0x00, 0x02, 0x65, 0x88};
  AllocationCounter counter(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(payload.data());
    benchmark::DoNotOptimize(isKeyframe(VideoCodec::H264, payload));
  }
}
BENCHMARK(BM_KeyframeH264StapA);

// Per audio packet: read the RFC 6464 extension and feed the detector; a poll
// of 50 tracks every 20 packets (400 ms of one 50-packet/s track) included.
void BM_SpeakerObserve(benchmark::State& state) {
  auto packet = opusPacket();
  const auto view = *RtpPacketView::parse(packet);
  ActiveSpeakerDetector detector(50);
  std::array<SpeakerLevel, 50> speakers{};
  std::array<SpeakerLevel, 50> changes{};
  uint32_t n = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    const auto level = view.audioLevel(kAudioLevelId);
    detector.observe(n % 50, level->level, level->voiceActivity);
    if (++n % (20 * 50) == 0) benchmark::DoNotOptimize(detector.poll(now += 400'000, speakers, changes));
  }
}
BENCHMARK(BM_SpeakerObserve);

void BM_SpeakerPoll50Tracks(benchmark::State& state) {
  ActiveSpeakerDetector detector(50);
  std::array<SpeakerLevel, 50> speakers{};
  std::array<SpeakerLevel, 50> changes{};
  int64_t now = 0;
  uint32_t round = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    for (uint32_t key = 0; key < 50; ++key) detector.observe(key, static_cast<uint8_t>((key + round) % 60), true);
    ++round;
    benchmark::DoNotOptimize(detector.poll(now += 400'000, speakers, changes));
  }
}
BENCHMARK(BM_SpeakerPoll50Tracks);

void BM_SimulcastDecision(benchmark::State& state) {
  const std::array<SimulcastLayer, 3> layers = {{{0, 320, 180, 0}, {1, 640, 360, 0}, {2, 1280, 720, 0}}};
  SimulcastSelector selector(layers);
  selector.update(0b111);
  uint32_t n = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    const auto layer = static_cast<uint8_t>(n % 3);
    const bool key = (++n % 300) < 3;
    benchmark::DoNotOptimize(selector.shouldSwitch(layer, key));
    benchmark::DoNotOptimize(selector.shouldForward(layer));
  }
}
BENCHMARK(BM_SimulcastDecision);

// A 1100-byte VP8 packet of simulcast layer `layer` (Chrome's descriptor:
// 15-bit picture id, TL0PICIDX, TID).
std::vector<uint8_t> vp8Packet(uint8_t layer, bool key) {
  std::vector<uint8_t> packet(1100 + 12, 0x55);
  convox::rtc::RtpHeader h;
  h.payloadType = 96;
  h.ssrc = 0x1000 + layer;
  if (!convox::rtc::buildRtpHeader(h, {}, packet)) std::abort();
  const std::array<uint8_t, 16> head = {0x90, 0xE0, 0x81, 0x23, 0x45, 0x60, 0x50, 0x2d,
                                        0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
  std::copy(head.begin(), head.end(), packet.begin() + 12);
  if (!key) packet[12 + 6] = 0x31;  // an inter frame tag
  return packet;
}

// The per-subscriber building blocks of a simulcast VP8 packet: the layer
// decision, sequence/timestamp munging, the header rewrite and the VP8
// picture id / TL0PICIDX rewrite. One layer of three is forwarded, switching
// every 3000 packets.
void BM_SimulcastVp8Rewrite(benchmark::State& state) {
  const std::array<SimulcastLayer, 3> layers = {{{0, 320, 180, 0}, {1, 640, 360, 0}, {2, 1280, 720, 0}}};
  std::array<std::vector<uint8_t>, 3> packets = {vp8Packet(0, true), vp8Packet(1, true), vp8Packet(2, true)};
  SimulcastSelector selector(layers);
  RtpMunger munger(90000, 100, 5000);
  Vp8Munger vp8;
  std::array<uint16_t, 3> seq{};
  uint32_t n = 0;
  int64_t now = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    const auto layer = static_cast<uint8_t>(n % 3);
    if (n % 3000 == 0) {
      selector.requestQuality(static_cast<uint8_t>((n / 3000) % 3));
      selector.update(0b111);
    }
    ++n;
    auto view = *RtpPacketView::parse(packets[layer]);
    view.setSequenceNumber(seq[layer]++);
    const bool key = seq[layer] % 100 == 0;
    const bool switched = selector.shouldSwitch(layer, key);
    if (switched) munger.rebaseAtNextPacket();
    if (!selector.shouldForward(layer)) continue;
    const auto out = munger.forward(view.ssrc(), view.sequenceNumber(), seq[layer] * 3000u, now += 1000,
                                    static_cast<uint32_t>(view.payloadSize()));
    if (!out) continue;
    view.setSsrc(0xCAFEBABE);
    view.setSequenceNumber(out->sequenceNumber);
    view.setTimestamp(out->timestamp);
    if (const auto descriptor = parseVp8(view.payload())) vp8.rewrite(view.payload(), *descriptor, switched);
    view.setSsrc(0x1000 + layer);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_SimulcastVp8Rewrite);

class DiscardingSink : public DownTrackSink {
 public:
  void sendRtp(std::span<uint8_t> buffer, size_t length) override {
    benchmark::DoNotOptimize(buffer.data());
    bytes += length;
  }
  void onUpTrackClosed(DownTrack&) override {}
  uint64_t bytes = 0;
};

// The wired path for one incoming simulcast VP8 packet: UpTrack (liveness,
// retransmission store, key frame check) fanning out to state.range(0)
// DownTracks (selector, RtpMunger, copy into the scratch buffer, header and
// VP8 descriptor rewrite), subscribers spread over the three qualities. Time
// is per incoming packet; divide by the subscriber count for per copy.
void BM_SimulcastVp8DownTracks(benchmark::State& state) {
  UpTrackParameters params;
  params.sid = "TR_bench";
  params.kind = TrackKind::Video;
  params.codec.name = "VP8";
  params.codec.clockRate = 90000;
  params.simulcast = true;
  params.layers = {{0, 320, 180, 0}, {1, 640, 360, 0}, {2, 1280, 720, 0}};
  auto up = std::make_shared<UpTrack>(params, [](uint32_t) {});
  std::array<std::vector<uint8_t>, 3> packets = {vp8Packet(0, true), vp8Packet(1, true), vp8Packet(2, true)};
  int64_t now = 1'000'000;
  for (uint8_t q = 0; q < 3; ++q) {
    auto view = *RtpPacketView::parse(packets[q]);
    up->onRtp(view, q, now);
  }
  DiscardingSink sink;
  std::vector<std::unique_ptr<DownTrack>> downs;
  for (int64_t i = 0; i < state.range(0); ++i) {
    downs.push_back(
        std::make_unique<DownTrack>(up, sink, DownTrackParameters{0x5000u + static_cast<uint32_t>(i), 96, 90000, "0"}));
    downs.back()->applySettings({false, static_cast<uint8_t>(i % 3), 0, 0}, now);
  }
  std::array<uint16_t, 3> seq{};
  uint32_t n = 0;
  AllocationCounter counter(state);
  for (auto _ : state) {
    const auto layer = static_cast<uint8_t>(n++ % 3);
    auto& packet = packets[layer];
    packet[12 + 6] = seq[layer] % 100 == 0 ? 0x50 : 0x31;  // a key frame every 100 packets
    auto view = *RtpPacketView::parse(packet);
    view.setSequenceNumber(seq[layer]++);
    view.setTimestamp(seq[layer] * 3000u);
    up->onRtp(view, layer, now += 300);
  }
  benchmark::DoNotOptimize(sink.bytes);
}
BENCHMARK(BM_SimulcastVp8DownTracks)->Arg(1)->Arg(10);

}  // namespace

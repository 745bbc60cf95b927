// Per-packet costs of the RTP/RTCP hot path: parsing a view over a received
// packet, rewriting it for a subscriber, walking a compound RTCP packet and
// building feedback. Reported, not asserted.
// Run: build/bench/convox_bench_rtp
#include "rtc/rtcp_feedback.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/rtcp_twcc.hpp"
#include "rtc/rtp_packet.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace {

using namespace convox::rtc;

constexpr uint8_t kAudioLevelId = 1;
constexpr uint8_t kAbsSendTimeId = 2;
constexpr uint8_t kTransportCcId = 3;

// 60 bytes: 28-byte header with audio level, abs-send-time and transport-cc
// in the one-byte form, then 32 bytes of Opus.
std::array<uint8_t, 60> opusPacket() {
  std::array<uint8_t, 60> packet{};
  const std::array<uint8_t, 1> level = {0x85};
  const std::array<uint8_t, 3> abs = {0x12, 0x34, 0x56};
  const std::array<uint8_t, 2> twcc = {0x01, 0x02};
  const std::array<RtpExtensionEntry, 3> exts = {
      {{kAudioLevelId, level}, {kAbsSendTimeId, abs}, {kTransportCcId, twcc}}};
  RtpHeader h;
  h.payloadType = 111;
  h.sequenceNumber = 1000;
  h.timestamp = 48000;
  h.ssrc = 0x11223344;
  const auto size = buildRtpHeader(h, exts, packet);
  if (!size || *size != 28) std::abort();
  for (size_t i = *size; i < packet.size(); ++i) packet[i] = static_cast<uint8_t>(i);
  return packet;
}

void BM_ParseOpusRtp(benchmark::State& state) {
  auto packet = opusPacket();
  for (auto _ : state) {
    benchmark::DoNotOptimize(packet.data());
    const auto view = RtpPacketView::parse(packet);
    const auto level = view->audioLevel(kAudioLevelId);
    const auto abs = view->absSendTime(kAbsSendTimeId);
    const auto seq = view->transportSequenceNumber(kTransportCcId);
    benchmark::DoNotOptimize(view->ssrc());
    benchmark::DoNotOptimize(view->payload().size());
    benchmark::DoNotOptimize(level);
    benchmark::DoNotOptimize(abs);
    benchmark::DoNotOptimize(seq);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseOpusRtp);

void BM_RewriteRtpInPlace(benchmark::State& state) {
  auto packet = opusPacket();
  uint16_t seq = 0;
  for (auto _ : state) {
    auto view = RtpPacketView::parse(packet);
    view->setSsrc(0xCAFEBABE);
    view->setSequenceNumber(seq++);
    view->setTimestamp(view->timestamp() + 960);
    benchmark::DoNotOptimize(packet.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RewriteRtpInPlace);

void BM_RewriteTransportCcInPlace(benchmark::State& state) {
  auto packet = opusPacket();
  uint16_t seq = 0;
  for (auto _ : state) {
    auto view = RtpPacketView::parse(packet);
    benchmark::DoNotOptimize(view->setTransportSequenceNumber(kTransportCcId, seq++));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RewriteTransportCcInPlace);

std::vector<uint8_t> rrSdesCompound() {
  std::vector<uint8_t> buffer(128);
  ReportBlock block;
  block.ssrc = 0x11223344;
  block.extendedHighestSequence = 70000;
  const auto rr = buildReceiverReport(0x55667788, std::span(&block, 1), buffer);
  const auto sdes = buildSdesCname(0x55667788, "4TOk42mSjXCkVIa6", std::span(buffer).subspan(*rr));
  buffer.resize(*rr + *sdes);
  return buffer;
}

void BM_ParseCompoundRrSdes(benchmark::State& state) {
  auto buffer = rrSdesCompound();
  for (auto _ : state) {
    RtcpCompoundIterator it(buffer);
    RtcpPacketView packet;
    while (it.next(packet)) {
      if (packet.type() == RtcpType::Rr) {
        const auto rr = ReceiverReportView::parse(packet);
        for (size_t i = 0; i < rr->reportCount(); ++i) benchmark::DoNotOptimize(rr->reportBlock(i));
      } else if (packet.type() == RtcpType::Sdes) {
        const auto sdes = SdesView::parse(packet);
        SdesChunkIterator chunks = sdes->chunks();
        SdesChunk chunk;
        while (chunks.next(chunk)) benchmark::DoNotOptimize(chunk.cname());
      }
    }
    benchmark::DoNotOptimize(it.error());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseCompoundRrSdes);

void BM_BuildNack(benchmark::State& state) {
  const std::array<uint16_t, 8> lost = {65530, 65531, 65535, 2, 9, 40, 41, 100};
  std::array<uint8_t, 64> out{};
  for (auto _ : state) {
    const auto size = buildNack(0x11223344, 0x55667788, lost, out);
    benchmark::DoNotOptimize(size);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildNack);

std::vector<TwccArrival> twccArrivals() {
  std::vector<TwccArrival> arrivals;
  for (uint16_t seq = 0; seq < 100; ++seq) {
    if (seq % 17 == 5) continue;  // a few losses
    arrivals.push_back({seq, 1'000'000 + seq * 2500 + (seq % 3) * 100});
  }
  return arrivals;
}

void BM_BuildTwcc100(benchmark::State& state) {
  const auto arrivals = twccArrivals();
  std::array<uint8_t, 512> out{};
  for (auto _ : state) {
    const auto size = buildTwcc({1, 2, 0, 0}, arrivals, out);
    benchmark::DoNotOptimize(size);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildTwcc100);

void BM_ParseTwcc100(benchmark::State& state) {
  const auto arrivals = twccArrivals();
  std::array<uint8_t, 512> out{};
  const auto size = buildTwcc({1, 2, 0, 0}, arrivals, out);
  std::array<TwccPacketStatus, 128> statuses{};
  for (auto _ : state) {
    const auto packet = RtcpPacketView::parse(std::span(out).first(*size));
    const auto twcc = TwccFeedbackView::parse(*packet);
    benchmark::DoNotOptimize(twcc->packets(statuses));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseTwcc100);

}  // namespace

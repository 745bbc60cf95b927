// libFuzzer target: RTCP compound iteration and every typed parser. Each
// successful typed parse is rebuilt with its builder and must re-parse to the
// same values.
#include "fuzz_support.hpp"
#include "rtc/rtcp_feedback.hpp"
#include "rtc/rtcp_packet.hpp"
#include "rtc/rtcp_twcc.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using convox::fuzzing::check;

using namespace convox::rtc;

// Large enough for any single rebuilt packet (the length field caps at 256 KiB).
std::array<uint8_t, 1 << 18> gOut;

RtcpPacketView reparse(const ParseResult<size_t, RtcpError>& built) {
  check(built.ok());
  const auto packet = RtcpPacketView::parse(std::span(gOut).first(*built));
  check(packet.ok() && packet->size() == *built);
  return *packet;
}

void reports(const RtcpPacketView& packet) {
  std::array<ReportBlock, kMaxReportBlocks> blocks{};
  if (const auto sr = SenderReportView::parse(packet)) {
    for (size_t i = 0; i < sr->reportCount(); ++i) blocks[i] = sr->reportBlock(i);
    const auto used = std::span(blocks).first(sr->reportCount());
    const auto again =
        SenderReportView::parse(reparse(buildSenderReport(sr->senderSsrc(), sr->senderInfo(), used, gOut)));
    check(again && again->senderSsrc() == sr->senderSsrc() && again->senderInfo() == sr->senderInfo());
    check(again->reportCount() == used.size());
    for (size_t i = 0; i < used.size(); ++i) check(again->reportBlock(i) == used[i]);
  }
  if (const auto rr = ReceiverReportView::parse(packet)) {
    for (size_t i = 0; i < rr->reportCount(); ++i) blocks[i] = rr->reportBlock(i);
    const auto used = std::span(blocks).first(rr->reportCount());
    const auto again = ReceiverReportView::parse(reparse(buildReceiverReport(rr->senderSsrc(), used, gOut)));
    check(again && again->senderSsrc() == rr->senderSsrc() && again->reportCount() == used.size());
    for (size_t i = 0; i < used.size(); ++i) check(again->reportBlock(i) == used[i]);
  }
}

void sdesAndBye(const RtcpPacketView& packet) {
  if (const auto sdes = SdesView::parse(packet)) {
    static std::array<SdesItem, 4096> items;
    std::array<SdesChunkSpec, 31> chunks{};
    size_t itemCount = 0;
    SdesChunkIterator it = sdes->chunks();
    SdesChunk chunk;
    size_t c = 0;
    while (it.next(chunk)) {
      const size_t start = itemCount;
      SdesItemIterator itemIt = chunk.itemIterator();
      SdesItem item;
      while (itemIt.next(item)) {
        check(item.type != 0);
        if (itemCount < items.size()) items[itemCount] = item;
        ++itemCount;
      }
      (void)chunk.cname();
      if (itemCount <= items.size())
        chunks[c] = SdesChunkSpec{chunk.ssrc, std::span(items).subspan(start, itemCount - start)};
      ++c;
    }
    check(c == sdes->chunkCount());
    if (itemCount <= items.size()) {
      const auto again = SdesView::parse(reparse(buildSdes(std::span(chunks).first(c), gOut)));
      check(again && again->chunkCount() == c);
      SdesChunkIterator it2 = again->chunks();
      for (size_t i = 0; i < c; ++i) {
        check(it2.next(chunk) && chunk.ssrc == chunks[i].ssrc);
        SdesItemIterator itemIt = chunk.itemIterator();
        SdesItem item;
        for (const SdesItem& expected : chunks[i].items) {
          check(itemIt.next(item) && item.type == expected.type && item.text == expected.text);
        }
        check(!itemIt.next(item));
      }
    }
  }
  if (const auto bye = ByeView::parse(packet)) {
    std::array<uint32_t, 31> ssrcs{};
    for (size_t i = 0; i < bye->ssrcCount(); ++i) ssrcs[i] = bye->ssrc(i);
    const auto used = std::span(ssrcs).first(bye->ssrcCount());
    const auto again = ByeView::parse(reparse(buildBye(used, bye->reason(), gOut)));
    check(again && again->ssrcCount() == used.size() && again->reason() == bye->reason());
    for (size_t i = 0; i < used.size(); ++i) check(again->ssrc(i) == used[i]);
  }
}

void nack(const RtcpPacketView& packet) {
  const auto view = NackView::parse(packet);
  if (!view) return;
  static std::array<NackPair, 65536> pairs;
  for (size_t i = 0; i < view->pairCount(); ++i) pairs[i] = view->pair(i);
  const auto used = std::span(pairs).first(view->pairCount());
  const auto again = NackView::parse(reparse(buildNack(view->senderSsrc(), view->mediaSsrc(), used, gOut)));
  check(again && again->pairCount() == used.size() && again->mediaSsrc() == view->mediaSsrc());
  for (size_t i = 0; i < used.size(); ++i) check(again->pair(i) == used[i]);

  // Packing the sorted, de-duplicated lost set must report exactly that set.
  static std::bitset<65536> lost;
  static std::bitset<65536> relost;
  static std::array<uint16_t, 65536> sorted;
  lost.reset();
  relost.reset();
  view->forEachLost([&](uint16_t seq) { lost.set(seq); });
  size_t n = 0;
  for (size_t seq = 0; seq < lost.size(); ++seq) {
    if (lost.test(seq)) sorted[n++] = static_cast<uint16_t>(seq);
  }
  const auto packed = NackView::parse(reparse(buildNack(1, 2, std::span(sorted).first(n), gOut)));
  check(packed.ok());
  packed->forEachLost([&](uint16_t seq) { relost.set(seq); });
  check(lost == relost);
}

void twcc(const RtcpPacketView& packet) {
  const auto view = TwccFeedbackView::parse(packet);
  if (!view) return;
  static std::array<TwccPacketStatus, 65536> statuses;
  static std::array<TwccArrival, 65536> arrivals;
  const size_t count = view->packets(statuses);
  check(count == view->packetStatusCount());
  size_t received = 0;
  int64_t t = view->referenceTimeUs();
  for (size_t i = 0; i < count; ++i) {
    check(statuses[i].sequenceNumber == static_cast<uint16_t>(view->baseSequenceNumber() + i));
    if (!statuses[i].received) continue;
    t += statuses[i].deltaUs;
    arrivals[received++] = TwccArrival{statuses[i].sequenceNumber, t};
  }
  if (received == 0) return;
  const TwccFeedbackHeader header{view->senderSsrc(), view->mediaSsrc(), view->baseSequenceNumber(),
                                  view->feedbackPacketCount()};
  const auto again = TwccFeedbackView::parse(reparse(buildTwcc(header, std::span(arrivals).first(received), gOut)));
  check(again && again->baseSequenceNumber() == view->baseSequenceNumber());
  check(again->feedbackPacketCount() == view->feedbackPacketCount() && again->mediaSsrc() == view->mediaSsrc());
  static std::array<TwccPacketStatus, 65536> rebuilt;
  const size_t rebuiltCount = again->packets(rebuilt);
  check(rebuiltCount <= count);
  // The reference time wraps at 24 bits, so compare arrivals modulo its span.
  constexpr int64_t kWrapUs = (int64_t{1} << 24) * TwccFeedbackView::kReferenceTimeUnitUs;
  int64_t t2 = again->referenceTimeUs();
  size_t k = 0;
  for (size_t i = 0; i < rebuiltCount; ++i) {
    check(rebuilt[i].received == statuses[i].received);
    if (!rebuilt[i].received) continue;
    t2 += rebuilt[i].deltaUs;
    check((t2 - arrivals[k++].arrivalUs) % kWrapUs == 0);
  }
  check(k == received);
}

void payloadFeedback(const RtcpPacketView& packet) {
  if (const auto pli = PliView::parse(packet)) {
    const auto again = PliView::parse(reparse(buildPli(pli->senderSsrc(), pli->mediaSsrc(), gOut)));
    check(again && again->senderSsrc() == pli->senderSsrc() && again->mediaSsrc() == pli->mediaSsrc());
  }
  if (const auto fir = FirView::parse(packet)) {
    static std::array<FirEntry, 32768> entries;
    for (size_t i = 0; i < fir->entryCount(); ++i) entries[i] = fir->entry(i);
    const auto used = std::span(entries).first(fir->entryCount());
    const auto again = FirView::parse(reparse(buildFir(fir->senderSsrc(), used, gOut)));
    check(again && again->entryCount() == used.size());
    for (size_t i = 0; i < used.size(); ++i) check(again->entry(i) == used[i]);
  }
  if (const auto remb = RembView::parse(packet)) {
    std::array<uint32_t, 255> ssrcs{};
    for (size_t i = 0; i < remb->ssrcCount(); ++i) ssrcs[i] = remb->ssrc(i);
    const auto used = std::span(ssrcs).first(remb->ssrcCount());
    const auto again = RembView::parse(reparse(buildRemb(remb->senderSsrc(), remb->bitrateBps(), used, gOut)));
    check(again && again->bitrateBps() == remb->bitrateBps() && again->ssrcCount() == used.size());
    for (size_t i = 0; i < used.size(); ++i) check(again->ssrc(i) == used[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);
  RtcpCompoundIterator it(copy);
  RtcpPacketView packet;
  size_t consumed = 0;
  while (it.next(packet)) {
    check(packet.size() >= RtcpPacketView::kHeaderSize && packet.size() % 4 == 0);
    check(packet.body().size() + RtcpPacketView::kHeaderSize <= packet.size());
    consumed += packet.size();
    // Every parser sees every packet: the wrong type must be refused, not misread.
    reports(packet);
    sdesAndBye(packet);
    nack(packet);
    twcc(packet);
    payloadFeedback(packet);
  }
  check(!describe(it.error()).empty());
  check((it.error() == RtcpError::Ok) == (consumed == size && size > 0));
  check(validateCompound(copy) == it.error());
  return 0;
}

#include "rtc/rtcp_twcc.hpp"

#include "rtc/rtcp_feedback.hpp"
#include "rtcp_common.hpp"

#include <algorithm>

namespace convox::rtc {

namespace {

// Body offsets after the common feedback fields.
constexpr size_t kBaseOffset = 8;
constexpr size_t kCountOffset = 10;
constexpr size_t kReferenceOffset = 12;
constexpr size_t kFbCountOffset = 15;
constexpr size_t kFixedBodyBytes = 16;

constexpr uint8_t kNotReceived = 0;
constexpr uint8_t kSmallDelta = 1;
constexpr uint8_t kLargeDelta = 2;
constexpr uint8_t kReservedSymbol = 3;

constexpr size_t kMaxRunLength = 0x1fff;
constexpr size_t kOneBitSymbols = 14;
constexpr size_t kTwoBitSymbols = 7;
constexpr int64_t kTicksPerReference = TwccFeedbackView::kReferenceTimeUnitUs / TwccFeedbackView::kDeltaUnitUs;

size_t deltaBytes(uint8_t symbol) { return symbol == kSmallDelta ? 1 : symbol == kLargeDelta ? 2 : 0; }

// Calls visit(symbol, n) for runs of the first `count` status symbols of the
// chunks at body[offset]; stops early when visit returns false. On success
// `offset` is past the last chunk read.
template <typename Visit>
RtcpError walkChunks(std::span<const uint8_t> body, size_t count, size_t& offset, Visit&& visit) {
  size_t covered = 0;
  while (covered < count) {
    if (offset + 2 > body.size()) return RtcpError::TwccChunksShort;
    const uint16_t chunk = loadBe16(&body[offset]);
    offset += 2;
    const size_t left = count - covered;
    if ((chunk & 0x8000) == 0) {  // run length: T=0, S (2 bits), length (13 bits)
      const auto symbol = static_cast<uint8_t>((chunk >> 13) & 0x3);
      const size_t run = std::min<size_t>(chunk & kMaxRunLength, left);
      if (symbol == kReservedSymbol && run > 0) return RtcpError::TwccReservedSymbol;
      if (!visit(symbol, run)) return RtcpError::Ok;
      covered += run;
    } else if ((chunk & 0x4000) == 0) {  // status vector, 14 one-bit symbols
      const size_t n = std::min(kOneBitSymbols, left);
      for (size_t i = 0; i < n; ++i) {
        if (!visit(static_cast<uint8_t>((chunk >> (13 - i)) & 0x1), 1)) return RtcpError::Ok;
      }
      covered += n;
    } else {  // status vector, 7 two-bit symbols
      const size_t n = std::min(kTwoBitSymbols, left);
      for (size_t i = 0; i < n; ++i) {
        const auto symbol = static_cast<uint8_t>((chunk >> (12 - 2 * i)) & 0x3);
        if (symbol == kReservedSymbol) return RtcpError::TwccReservedSymbol;
        if (!visit(symbol, 1)) return RtcpError::Ok;
      }
      covered += n;
    }
  }
  return RtcpError::Ok;
}

int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t toTicks(const TwccArrival& a) { return floorDiv(a.arrivalUs, TwccFeedbackView::kDeltaUnitUs); }

// Yields the status symbol of each sequence number from the base on.
struct SymbolCursor {
  std::span<const TwccArrival> arrivals;
  uint16_t base = 0;
  size_t offset = 0;  // from the base
  size_t next = 0;    // index of the next arrival
  int64_t previousTicks = 0;

  bool atArrival() const {
    return next < arrivals.size() && static_cast<uint16_t>(arrivals[next].sequenceNumber - base) == offset;
  }
  uint8_t symbol() const {
    if (!atArrival()) return kNotReceived;
    const int64_t delta = toTicks(arrivals[next]) - previousTicks;
    return delta >= 0 && delta <= 0xff ? kSmallDelta : kLargeDelta;
  }
  void advance() {
    if (atArrival()) previousTicks = toTicks(arrivals[next++]);
    ++offset;
  }
};

size_t runLength(SymbolCursor cursor, size_t limit) {
  const uint8_t first = cursor.symbol();
  size_t run = 0;
  while (run < limit && cursor.symbol() == first) {
    cursor.advance();
    ++run;
  }
  return run;
}

bool fitsOneBit(SymbolCursor cursor, size_t n) {
  for (size_t i = 0; i < n; ++i, cursor.advance()) {
    if (cursor.symbol() > kSmallDelta) return false;
  }
  return true;
}

uint16_t vectorChunk(SymbolCursor& cursor, size_t n, bool twoBit) {
  const unsigned bits = twoBit ? 2 : 1;
  const unsigned capacity = twoBit ? kTwoBitSymbols : kOneBitSymbols;
  uint16_t chunk = twoBit ? 0xc000 : 0x8000;
  for (size_t i = 0; i < n; ++i, cursor.advance()) {
    chunk = static_cast<uint16_t>(chunk | (cursor.symbol() << (bits * (capacity - 1 - i))));
  }
  return chunk;
}

// Greedy chunk choice: a run of 14 or more (or the rest) as run length, else
// 14 one-bit symbols when none needs a large delta, else a run of 7 or more,
// else 7 two-bit symbols. Vectors past the count are padded with "not received".
template <typename Emit>
void encodeChunks(SymbolCursor cursor, size_t count, Emit&& emit) {
  while (cursor.offset < count) {
    const size_t remaining = count - cursor.offset;
    const uint8_t first = cursor.symbol();
    const size_t run = runLength(cursor, std::min(remaining, kMaxRunLength));
    const size_t oneBit = std::min(remaining, kOneBitSymbols);
    if (run >= kOneBitSymbols || run == remaining || (run >= kTwoBitSymbols && !fitsOneBit(cursor, oneBit))) {
      emit(static_cast<uint16_t>((first << 13) | run));
      for (size_t i = 0; i < run; ++i) cursor.advance();
    } else if (fitsOneBit(cursor, oneBit)) {
      emit(vectorChunk(cursor, oneBit, false));
    } else {
      emit(vectorChunk(cursor, std::min(remaining, kTwoBitSymbols), true));
    }
  }
}

// Checks ordering and delta ranges; returns the status count and delta bytes.
RtcpError planTwcc(uint16_t base, std::span<const TwccArrival> arrivals, int64_t referenceTicks, size_t& count,
                   size_t& deltaTotal) {
  int64_t previousOffset = -1;
  int64_t previousTicks = referenceTicks;
  deltaTotal = 0;
  for (const TwccArrival& a : arrivals) {
    const int64_t offset = static_cast<uint16_t>(a.sequenceNumber - base);
    if (offset <= previousOffset || offset == 0xffff) return RtcpError::InvalidArgument;
    const int64_t delta = toTicks(a) - previousTicks;
    if (delta < INT16_MIN || delta > INT16_MAX) return RtcpError::DeltaOutOfRange;
    deltaTotal += delta >= 0 && delta <= 0xff ? 1 : 2;
    previousTicks = toTicks(a);
    previousOffset = offset;
  }
  count = static_cast<size_t>(previousOffset + 1);
  return RtcpError::Ok;
}

}  // namespace

ParseResult<TwccFeedbackView, RtcpError> TwccFeedbackView::parse(const RtcpPacketView& packet) {
  const RtcpError e = detail::checkFeedback(packet, RtcpType::Rtpfb, rtpfb::kTransportCc, kFixedBodyBytes);
  if (e != RtcpError::Ok) return e;
  const auto body = packet.body();
  const size_t count = loadBe16(&body[kCountOffset]);
  if (count == 0) return RtcpError::TwccEmpty;
  size_t offset = kFixedBodyBytes;
  size_t deltaTotal = 0;
  const RtcpError walked = walkChunks(body, count, offset, [&](uint8_t symbol, size_t n) {
    deltaTotal += n * deltaBytes(symbol);
    return true;
  });
  if (walked != RtcpError::Ok) return walked;
  if (deltaTotal > body.size() - offset) return RtcpError::TwccDeltasShort;
  TwccFeedbackView view;
  view.body_ = body;
  view.deltasOffset_ = offset;
  return view;
}

uint32_t TwccFeedbackView::senderSsrc() const { return loadBe32(body_.data()); }
uint32_t TwccFeedbackView::mediaSsrc() const { return loadBe32(body_.data() + 4); }
uint16_t TwccFeedbackView::baseSequenceNumber() const { return loadBe16(body_.data() + kBaseOffset); }
uint16_t TwccFeedbackView::packetStatusCount() const { return loadBe16(body_.data() + kCountOffset); }
int32_t TwccFeedbackView::referenceTime() const { return loadBe24Signed(body_.data() + kReferenceOffset); }
uint8_t TwccFeedbackView::feedbackPacketCount() const { return body_[kFbCountOffset]; }

size_t TwccFeedbackView::packets(std::span<TwccPacketStatus> out) const {
  size_t written = 0;
  size_t chunkOffset = kFixedBodyBytes;
  size_t deltaOffset = deltasOffset_;
  auto sequence = baseSequenceNumber();
  walkChunks(body_, packetStatusCount(), chunkOffset, [&](uint8_t symbol, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (written == out.size()) return false;
      TwccPacketStatus& status = out[written++];
      status = TwccPacketStatus{sequence++, symbol != kNotReceived, 0};
      if (symbol == kSmallDelta) {
        status.deltaUs = body_[deltaOffset] * kDeltaUnitUs;
      } else if (symbol == kLargeDelta) {
        status.deltaUs = static_cast<int16_t>(loadBe16(&body_[deltaOffset])) * kDeltaUnitUs;
      }
      deltaOffset += deltaBytes(symbol);
    }
    return true;
  });
  return written;
}

ParseResult<size_t, RtcpError> buildTwcc(const TwccFeedbackHeader& header, std::span<const TwccArrival> arrivals,
                                         std::span<uint8_t> out) {
  if (arrivals.empty()) return RtcpError::InvalidArgument;
  const int64_t reference = floorDiv(toTicks(arrivals[0]), kTicksPerReference);
  size_t count = 0;
  size_t deltaTotal = 0;
  const RtcpError planned =
      planTwcc(header.baseSequenceNumber, arrivals, reference * kTicksPerReference, count, deltaTotal);
  if (planned != RtcpError::Ok) return planned;

  const SymbolCursor start{arrivals, header.baseSequenceNumber, 0, 0, reference * kTicksPerReference};
  const size_t chunksOffset = RtcpPacketView::kHeaderSize + kFixedBodyBytes;
  size_t chunkBytes = 0;
  encodeChunks(start, count, [&](uint16_t chunk) {
    if (chunksOffset + chunkBytes + 2 <= out.size()) storeBe16(&out[chunksOffset + chunkBytes], chunk);
    chunkBytes += 2;
  });
  const size_t unpadded = chunksOffset + chunkBytes + deltaTotal;
  const size_t size = detail::padTo4(unpadded);
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;

  uint8_t* p = out.data();
  detail::writeFeedbackCommon(p, rtpfb::kTransportCc, RtcpType::Rtpfb, size, header.senderSsrc, header.mediaSsrc);
  const size_t padding = size - unpadded;
  if (padding > 0) p[0] |= 0x20;  // RFC 3550 padding, as libwebrtc sends it
  storeBe16(p + 12, header.baseSequenceNumber);
  storeBe16(p + 14, static_cast<uint16_t>(count));
  storeBe24(p + 16, static_cast<uint32_t>(reference) & 0xffffff);
  p[19] = header.feedbackPacketCount;

  p += chunksOffset + chunkBytes;
  int64_t previousTicks = reference * kTicksPerReference;
  for (const TwccArrival& a : arrivals) {
    const int64_t delta = toTicks(a) - previousTicks;
    previousTicks = toTicks(a);
    if (delta >= 0 && delta <= 0xff) {
      *p++ = static_cast<uint8_t>(delta);
    } else {
      storeBe16(p, static_cast<uint16_t>(static_cast<int16_t>(delta)));
      p += 2;
    }
  }
  if (padding > 0) {
    std::fill(p, p + padding - 1, uint8_t{0});
    p[padding - 1] = static_cast<uint8_t>(padding);
  }
  return size;
}

}  // namespace convox::rtc

// libFuzzer target: RTP parsing, extension walking, in-place rewrites and the
// header builder. A successful parse is rebuilt from its fields and must
// re-parse to the same values.
#include "fuzz_support.hpp"
#include "rtc/rtp_packet.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using convox::fuzzing::check;

using namespace convox::rtc;

constexpr size_t kMaxRebuiltExtensions = 64;

// Collects the elements; false when they cannot all be written in the
// one-byte form (or there are too many to keep).
bool collectExtensions(const RtpPacketView& p, std::array<RtpExtensionEntry, kMaxRebuiltExtensions>& out,
                       size_t& count) {
  count = 0;
  bool encodable = true;
  RtpExtensionIterator it = p.extensions();
  RtpExtension e;
  while (it.next(e)) {
    check(e.id != 0);
    check(p.findExtension(e.id).has_value());
    (void)parseAudioLevel(e.value);
    (void)parseAbsSendTime(e.value);
    (void)parseTransportSequenceNumber(e.value);
    (void)parseStringExtension(e.value);
    if (e.id > 14 || e.value.empty() || e.value.size() > 16 || count == out.size()) {
      encodable = false;
      continue;
    }
    out[count++] = RtpExtensionEntry{e.id, e.value};
  }
  return encodable;
}

void checkSameExtensions(const RtpPacketView& p, std::span<const RtpExtensionEntry> expected) {
  RtpExtensionIterator it = p.extensions();
  RtpExtension e;
  size_t i = 0;
  while (it.next(e)) {
    check(i < expected.size());
    check(e.id == expected[i].id);
    check(std::equal(e.value.begin(), e.value.end(), expected[i].value.begin(), expected[i].value.end()));
    ++i;
  }
  check(!it.malformed());
  check(i == expected.size());
}

void rebuild(const RtpPacketView& p) {
  std::array<uint32_t, 15> csrcs{};
  for (size_t i = 0; i < p.csrcCount(); ++i) csrcs[i] = p.csrc(i);
  std::array<RtpExtensionEntry, kMaxRebuiltExtensions> extensions{};
  size_t extensionCount = 0;
  const bool withExtensions = collectExtensions(p, extensions, extensionCount);
  RtpHeader h;
  h.marker = p.marker();
  h.payloadType = p.payloadType();
  h.sequenceNumber = p.sequenceNumber();
  h.timestamp = p.timestamp();
  h.ssrc = p.ssrc();
  h.csrcs = std::span(csrcs).first(p.csrcCount());
  const auto used = std::span<const RtpExtensionEntry>(extensions).first(withExtensions ? extensionCount : 0);

  std::vector<uint8_t> out(12 + 60 + 4 + kMaxRebuiltExtensions * 17 + 4 + p.payloadSize());
  const auto size = buildRtpHeader(h, used, out);
  check(size.ok());
  std::copy(p.payload().begin(), p.payload().end(), out.begin() + static_cast<std::ptrdiff_t>(*size));
  out.resize(*size + p.payloadSize());
  const auto again = RtpPacketView::parse(out);
  check(again.ok());
  check(again->marker() == h.marker && again->payloadType() == h.payloadType);
  check(again->sequenceNumber() == h.sequenceNumber && again->timestamp() == h.timestamp);
  check(again->ssrc() == h.ssrc && again->csrcCount() == p.csrcCount());
  for (size_t i = 0; i < p.csrcCount(); ++i) check(again->csrc(i) == csrcs[i]);
  check(std::equal(again->payload().begin(), again->payload().end(), p.payload().begin(), p.payload().end()));
  checkSameExtensions(*again, used);
}

void rewriteInPlace(RtpPacketView p) {
  const uint16_t seq = static_cast<uint16_t>(p.sequenceNumber() + 1);
  const uint32_t ts = p.timestamp() ^ 0x5a5a5a5a;
  const uint32_t ssrc = ~p.ssrc();
  p.setSequenceNumber(seq);
  p.setTimestamp(ts);
  p.setSsrc(ssrc);
  p.setMarker(!p.marker());
  p.setPayloadType(static_cast<uint8_t>(p.payloadType() + 1));
  RtpExtensionIterator it = p.extensions();
  RtpExtension e;
  if (it.next(e)) {
    std::array<uint8_t, 255> same{};
    std::copy(e.value.begin(), e.value.end(), same.begin());
    check(p.setExtensionValue(e.id, std::span(same).first(e.value.size())) == RtpError::Ok);
    check(p.setExtensionId(e.id, e.id) == RtpError::Ok);
  }
  const auto again = RtpPacketView::parse(p.data());
  check(again.ok());
  check(again->sequenceNumber() == seq && again->timestamp() == ts && again->ssrc() == ssrc);
  check(again->payloadSize() == p.payloadSize() && again->headerSize() == p.headerSize());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);
  (void)classifyPacket(copy);
  (void)isRtcp(copy);
  const auto parsed = RtpPacketView::parse(copy);
  if (!parsed) {
    check(parsed.error() != RtpError::Ok && !describe(parsed.error()).empty());
    return 0;
  }
  const RtpPacketView& p = *parsed;
  check(p.headerSize() + p.payloadSize() + p.paddingSize() == size);
  check(p.extensionBlock().size() % 4 == 0);
  for (uint8_t id = 1; id < 16; ++id) {
    (void)p.audioLevel(id);
    (void)p.absSendTime(id);
    (void)p.transportSequenceNumber(id);
    (void)p.mid(id);
  }
  rebuild(p);
  rewriteInPlace(p);
  return 0;
}

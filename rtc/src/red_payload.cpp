#include "rtc/red_payload.hpp"

namespace convox::rtc {

namespace {

// RFC 2198 section 3: a non-final header is F=1, PT(7), timestamp offset(14),
// block length(10); the final (primary) header is one byte, F=0 and PT(7).
constexpr uint8_t kFollowsBit = 0x80;
constexpr uint8_t kPayloadTypeMask = 0x7f;
constexpr size_t kRedundantHeaderSize = 4;
constexpr size_t kPrimaryHeaderSize = 1;

}  // namespace

std::optional<RedPayload> parseRedPayload(std::span<const uint8_t> payload) {
  RedPayload red;
  std::array<size_t, kMaxRedBlocks> lengths{};
  size_t offset = 0;
  while (true) {
    if (offset >= payload.size()) return std::nullopt;
    if (red.count == kMaxRedBlocks) return std::nullopt;
    RedBlock& block = red.blocks[red.count];
    block.headerOffset = offset;
    block.payloadType = payload[offset] & kPayloadTypeMask;
    if ((payload[offset] & kFollowsBit) == 0) {
      offset += kPrimaryHeaderSize;
      ++red.count;
      break;
    }
    if (payload.size() - offset < kRedundantHeaderSize) return std::nullopt;
    const uint32_t rest =
        (uint32_t{payload[offset + 1]} << 16) | (uint32_t{payload[offset + 2]} << 8) | uint32_t{payload[offset + 3]};
    block.timestampOffset = static_cast<uint16_t>(rest >> 10);
    lengths[red.count] = rest & 0x3ff;
    offset += kRedundantHeaderSize;
    ++red.count;
  }

  for (size_t i = 0; i + 1 < red.count; ++i) {
    if (payload.size() - offset < lengths[i]) return std::nullopt;
    red.blocks[i].data = payload.subspan(offset, lengths[i]);
    offset += lengths[i];
  }
  red.blocks[red.count - 1].data = payload.subspan(offset);
  return red;
}

std::optional<RedPrimary> redPrimary(std::span<const uint8_t> payload) {
  const auto red = parseRedPayload(payload);
  if (!red) return std::nullopt;
  return RedPrimary{red->primary().payloadType, red->primary().data};
}

bool rewriteRedBlockPayloadTypes(std::span<uint8_t> payload, uint8_t from, uint8_t to) {
  const auto red = parseRedPayload(payload);
  if (!red) return false;
  for (size_t i = 0; i < red->count; ++i) {
    uint8_t& header = payload[red->blocks[i].headerOffset];
    if ((header & kPayloadTypeMask) == from) {
      header = static_cast<uint8_t>((header & kFollowsBit) | (to & kPayloadTypeMask));
    }
  }
  return true;
}

}  // namespace convox::rtc

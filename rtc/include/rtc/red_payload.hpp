#pragma once

// RFC 2198 redundant audio ("audio/red") payloads as Chromium sends them for
// Opus: block headers, then the block data in header order, the last block
// being the primary (newest) encoding. Parsing only looks at the bytes; it
// never allocates, so it runs on the packet path.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace convox::rtc {

// Chromium sends at most a few redundant blocks; more than this is treated as
// malformed rather than walked.
inline constexpr size_t kMaxRedBlocks = 8;

struct RedBlock {
  uint8_t payloadType = 0;
  uint16_t timestampOffset = 0;  // how much older than the RTP timestamp (0 for the primary)
  size_t headerOffset = 0;       // where the block's header starts in the payload
  std::span<const uint8_t> data;
};

struct RedPayload {
  std::array<RedBlock, kMaxRedBlocks> blocks{};
  size_t count = 0;  // blocks[count - 1] is the primary encoding
  const RedBlock& primary() const { return blocks[count - 1]; }
};

// The blocks of a RED payload; nullopt when a header is truncated, a block
// length runs past the payload, or there are more than kMaxRedBlocks blocks.
std::optional<RedPayload> parseRedPayload(std::span<const uint8_t> payload);

// The primary encoding's payload type and bytes, for subscribers that did not
// negotiate red; nullopt when the payload is malformed.
struct RedPrimary {
  uint8_t payloadType = 0;
  std::span<const uint8_t> data;
};
std::optional<RedPrimary> redPrimary(std::span<const uint8_t> payload);

// Rewrites in place every block header's payload type `from` to `to` (the
// subscriber's Opus payload type may differ from the publisher's). Returns
// false, changing nothing, when the payload is malformed.
bool rewriteRedBlockPayloadTypes(std::span<uint8_t> payload, uint8_t from, uint8_t to);

}  // namespace convox::rtc

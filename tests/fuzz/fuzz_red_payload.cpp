// libFuzzer target: RFC 2198 RED payloads on any bytes. Parsed blocks must lie
// inside the input, in order, ending exactly at its end; the primary must be
// the last block; rewriting the block payload types must succeed exactly when
// parsing does and re-parse to the same layout.
#include "fuzz_support.hpp"
#include "rtc/red_payload.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using convox::fuzzing::check;

using namespace convox::rtc;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);
  const auto red = parseRedPayload(copy);
  const auto primary = redPrimary(copy);
  check(red.has_value() == primary.has_value());
  if (!red) {
    const auto before = copy;
    check(!rewriteRedBlockPayloadTypes(copy, 111, 109));
    check(copy == before);
    return 0;
  }
  check(red->count >= 1 && red->count <= kMaxRedBlocks);
  const uint8_t* cursor = nullptr;
  for (size_t i = 0; i < red->count; ++i) {
    const auto& block = red->blocks[i];
    check(block.payloadType <= 0x7f && block.timestampOffset <= 0x3fff);
    check(block.headerOffset < copy.size());
    check(block.data.empty() ||
          (block.data.data() >= copy.data() && block.data.data() + block.data.size() <= copy.data() + copy.size()));
    if (cursor != nullptr && !block.data.empty()) check(block.data.data() == cursor);
    if (!block.data.empty()) cursor = block.data.data() + block.data.size();
  }
  check(red->primary().timestampOffset == 0);
  check(primary->payloadType == red->primary().payloadType && primary->data.size() == red->primary().data.size());
  if (!red->primary().data.empty())
    check(red->primary().data.data() + red->primary().data.size() == copy.data() + size);

  const auto from = red->blocks[0].payloadType;
  const auto to = static_cast<uint8_t>((from + 1) & 0x7f);
  check(rewriteRedBlockPayloadTypes(copy, from, to));
  const auto again = parseRedPayload(copy);
  check(again.has_value() && again->count == red->count);
  for (size_t i = 0; i < red->count; ++i) {
    const auto expected = red->blocks[i].payloadType == from ? to : red->blocks[i].payloadType;
    check(again->blocks[i].payloadType == expected);
    check(again->blocks[i].timestampOffset == red->blocks[i].timestampOffset);
    check(again->blocks[i].data.size() == red->blocks[i].data.size());
  }
  return 0;
}

// SDES (RFC 3550 §6.5): chunks of an SSRC and type-length-text items, each
// chunk ended by a null octet and zero-padded to a 32-bit boundary.
#include "rtc/rtcp_packet.hpp"

#include "rtcp_common.hpp"

#include <algorithm>

namespace convox::rtc {

namespace {

constexpr size_t kItemHeaderBytes = 2;

// Bytes one chunk occupies on the wire, or 0 when an item is out of range.
size_t chunkBytes(const SdesChunkSpec& chunk) {
  size_t size = 4;
  for (const SdesItem& item : chunk.items) {
    if (item.type == 0 || item.text.size() > 255) return 0;
    size += kItemHeaderBytes + item.text.size();
  }
  return detail::padTo4(size + 1);  // + the terminating null octet
}

}  // namespace

bool SdesItemIterator::next(SdesItem& out) {
  if (offset_ + kItemHeaderBytes > items_.size()) return false;
  const size_t length = items_[offset_ + 1];
  out.type = items_[offset_];
  out.text = std::string_view(reinterpret_cast<const char*>(&items_[offset_ + kItemHeaderBytes]), length);
  offset_ += kItemHeaderBytes + length;
  return true;
}

std::optional<std::string_view> SdesChunk::find(uint8_t type) const {
  SdesItemIterator it = itemIterator();
  SdesItem item;
  while (it.next(item)) {
    if (item.type == type) return item.text;
  }
  return std::nullopt;
}

bool SdesChunkIterator::next(SdesChunk& out) {
  if (remaining_ == 0) return false;
  out.ssrc = loadBe32(&body_[offset_]);
  const size_t itemsStart = offset_ + 4;
  size_t p = itemsStart;
  while (body_[p] != 0) p += kItemHeaderBytes + body_[p + 1];
  out.items = body_.subspan(itemsStart, p - itemsStart);
  offset_ = detail::padTo4(p + 1);
  --remaining_;
  return true;
}

ParseResult<SdesView, RtcpError> SdesView::parse(const RtcpPacketView& packet) {
  if (packet.type() != RtcpType::Sdes) return RtcpError::WrongType;
  const auto body = packet.body();
  size_t offset = 0;
  // The body starts 32-bit aligned in the packet, so body offsets align the same way.
  for (size_t chunk = 0; chunk < packet.count(); ++chunk) {
    if (offset + 4 > body.size()) return RtcpError::CountOverrun;
    offset += 4;
    while (true) {
      if (offset >= body.size()) return RtcpError::SdesItemOverrun;
      if (body[offset] == 0) break;
      if (offset + kItemHeaderBytes > body.size()) return RtcpError::SdesItemOverrun;
      const size_t length = body[offset + 1];
      if (offset + kItemHeaderBytes + length > body.size()) return RtcpError::SdesItemOverrun;
      offset += kItemHeaderBytes + length;
    }
    offset = detail::padTo4(offset + 1);
    if (offset > body.size()) return RtcpError::SdesItemOverrun;
  }
  SdesView view;
  view.body_ = body;
  view.count_ = packet.count();
  return view;
}

ParseResult<size_t, RtcpError> buildSdes(std::span<const SdesChunkSpec> chunks, std::span<uint8_t> out) {
  if (chunks.size() > 31) return RtcpError::InvalidArgument;
  size_t size = RtcpPacketView::kHeaderSize;
  for (const SdesChunkSpec& chunk : chunks) {
    const size_t bytes = chunkBytes(chunk);
    if (bytes == 0) return RtcpError::InvalidArgument;
    size += bytes;
  }
  if (const auto e = detail::checkBuildSize(size, out.size()); e != RtcpError::Ok) return e;
  uint8_t* p = out.data();
  detail::writeHeader(p, static_cast<uint8_t>(chunks.size()), RtcpType::Sdes, size);
  p += RtcpPacketView::kHeaderSize;
  for (const SdesChunkSpec& chunk : chunks) {
    uint8_t* const chunkEnd = p + chunkBytes(chunk);
    storeBe32(p, chunk.ssrc);
    p += 4;
    for (const SdesItem& item : chunk.items) {
      *p++ = item.type;
      *p++ = static_cast<uint8_t>(item.text.size());
      p = std::copy(item.text.begin(), item.text.end(), p);
    }
    std::fill(p, chunkEnd, uint8_t{0});  // terminator and padding
    p = chunkEnd;
  }
  return size;
}

ParseResult<size_t, RtcpError> buildSdesCname(uint32_t ssrc, std::string_view cname, std::span<uint8_t> out) {
  const SdesItem item{sdes::kCname, cname};
  const SdesChunkSpec chunk{ssrc, std::span<const SdesItem>(&item, 1)};
  return buildSdes(std::span<const SdesChunkSpec>(&chunk, 1), out);
}

}  // namespace convox::rtc

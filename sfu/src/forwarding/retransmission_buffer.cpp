#include "forwarding/retransmission_buffer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace convox::sfu {

namespace {

constexpr size_t kMaxRtpPacketSize = 65535;
constexpr size_t kSlotAlignment = 16;
// A packet this far behind the newest is a source that restarted its
// numbering lower under the same SSRC, not a straggler: start over from it.
constexpr int32_t kRestartDistance = 16384;

}  // namespace

RetransmissionBuffer::RetransmissionBuffer(size_t capacityPackets, size_t maxPacketSize)
    : capacity_(std::bit_ceil(std::max<size_t>(capacityPackets, 1))),
      maxPacketSize_(std::min(maxPacketSize, kMaxRtpPacketSize)),
      stride_((sizeof(SlotHeader) + maxPacketSize_ + kSlotAlignment - 1) / kSlotAlignment * kSlotAlignment) {
  storage_ = std::make_unique<uint8_t[]>(capacity_ * stride_);  // zeroed: every slot empty
}

uint64_t RetransmissionBuffer::extend(uint16_t sequenceNumber) const {
  const auto delta =
      static_cast<int16_t>(static_cast<uint16_t>(sequenceNumber - static_cast<uint16_t>(highestExtended_)));
  return highestExtended_ + static_cast<uint64_t>(static_cast<int64_t>(delta));
}

bool RetransmissionBuffer::store(uint16_t sequenceNumber, std::span<const uint8_t> packet) {
  if (packet.empty() || packet.size() > maxPacketSize_) return false;
  uint64_t extended = 0;
  if (!started_) {
    extended = (uint64_t{1} << 16) | sequenceNumber;  // one cycle up: stragglers stay positive
    highestExtended_ = extended;
    started_ = true;
  } else {
    extended = extend(sequenceNumber);
    if (extended > highestExtended_) {
      highestExtended_ = extended;
    } else if (highestExtended_ - extended >= capacity_) {
      if (highestExtended_ - extended < static_cast<uint64_t>(kRestartDistance)) return false;
      // Two cycles up so that no slot of the old numbering matches the new.
      extended = (((highestExtended_ >> 16) + 2) << 16) | sequenceNumber;
      highestExtended_ = extended;
    }
  }
  uint8_t* target = slot(extended);
  const SlotHeader header{extended, static_cast<uint32_t>(packet.size())};
  std::memcpy(target, &header, sizeof(header));
  std::memcpy(target + sizeof(SlotHeader), packet.data(), packet.size());
  return true;
}

std::span<const uint8_t> RetransmissionBuffer::find(uint16_t sequenceNumber) const {
  if (!started_) return {};
  const uint64_t extended = extend(sequenceNumber);
  if (extended > highestExtended_ || highestExtended_ - extended >= capacity_) return {};
  const uint8_t* source = slot(extended);
  SlotHeader header{};
  std::memcpy(&header, source, sizeof(header));
  if (header.size == 0 || header.extendedSequence != extended) return {};
  return {source + sizeof(SlotHeader), header.size};
}

}  // namespace convox::sfu
